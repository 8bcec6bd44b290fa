import { MqError } from "../error.ts";
import { ResponseCode, responseCodeName } from "../response-code.ts";
import { type HeaderValues, toExtFields } from "./custom-header.ts";

/** How a command's header is serialized: the high byte of the header-length word. */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeName = keyof typeof SerializeType;

/** `flag` bit 0: this command is a response. */
export const FLAG_RESPONSE = 1 << 0;
/** `flag` bit 1: the sender expects no response. */
export const FLAG_ONEWAY = 1 << 1;

/**
 * The version we put in commands: MQVersion V5_3_3. A Java nameserver answers peers at >= V4_9_4 (401) with
 * standard JSON (quoted map keys), so advertising a 5.x version keeps its replies parseable.
 */
export const MQ_VERSION = 479;

/**
 * One remoting frame, request or response. `extFields` is the flat string map that carries the request family's
 * "custom header" (read it with `readHeader`). `serializeType` records how the header arrived; a response goes
 * back the same way.
 */
export interface RemotingCommand {
  readonly code: number;
  readonly language: string;
  readonly version: number;
  readonly opaque: number;
  readonly flag: number;
  readonly remark?: string;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly serializeType?: SerializeTypeName;
}

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & FLAG_RESPONSE) !== 0;
}

export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & FLAG_ONEWAY) !== 0;
}

/**
 * A request; the client assigns `opaque` when it sends it.
 * @example createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "TopicTest" })
 */
export function createRequest(code: number, extFields?: HeaderValues, body?: Uint8Array): RemotingCommand {
  const cmd: Mutable<RemotingCommand> = {
    code,
    language: "JAVA",
    version: MQ_VERSION,
    opaque: 0,
    flag: 0,
    extFields: toExtFields(extFields),
  };
  if (body) cmd.body = body;
  return cmd;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The response to `request`: same opaque and header serialization, RESPONSE flag set. */
export function createResponse(
  request: RemotingCommand,
  code: number,
  remark?: string,
  extFields?: HeaderValues,
  body?: Uint8Array,
): RemotingCommand {
  // Built by assignment, not spreads: one of these is made per request served.
  const cmd: Mutable<RemotingCommand> = {
    code,
    language: "JAVA",
    version: MQ_VERSION,
    opaque: request.opaque,
    flag: FLAG_RESPONSE,
    extFields: toExtFields(extFields),
  };
  if (remark !== undefined) cmd.remark = remark;
  if (body) cmd.body = body;
  if (request.serializeType) cmd.serializeType = request.serializeType;
  return cmd;
}

/** The one place a thrown error becomes a response: MqError keeps its code, anything else is SYSTEM_ERROR. */
export function errorToResponse(request: RemotingCommand, err: unknown): RemotingCommand {
  const e = MqError.from(err);
  return createResponse(request, e.code, e.message);
}

/**
 * Returns `response` when its code is one of `accepted` (SUCCESS by default), else throws an MqError with the
 * response's code and remark, so callers branch on codes, never on text.
 */
export function ensureResponseCode(response: RemotingCommand, ...accepted: number[]): RemotingCommand {
  const ok = accepted.length === 0 ? [ResponseCode.SUCCESS] : accepted;
  if (ok.includes(response.code)) return response;
  throw new MqError(response.code, response.remark || `peer answered ${responseCodeName(response.code)}`);
}
