import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody } from "./json-body.ts";

/**
 * BATCH_ACK_MESSAGE (200151) bodies. The request is RocketMQ's BatchAckMessageRequestBody: per pop checkpoint one
 * BatchAck whose acked queue offsets travel as a Java BitSet relative to startOffset. The response body listing
 * refused offsets is a bunmq addition: RocketMQ answers with a code only, and its clients ignore the body.
 */

/** Most acked offsets one BATCH_ACK_MESSAGE may carry: a bound on the work a single request can ask for. */
export const MAX_BATCH_ACK_OFFSETS = 4096;

/** One BatchAck, with its bit set expanded to queue offsets. */
export interface BatchAck {
  consumerGroup: string;
  topic: string;
  /** "1" when the messages came from the pop retry topic. */
  retry: "0" | "1";
  startOffset: number;
  queueId: number;
  reviveQueueId: number;
  popTime: number;
  invisibleTime: number;
  /** Each >= startOffset. */
  offsets: number[];
}

/** A refused offset in the response body. No body: every offset was acked. */
export interface BatchAckFailure {
  /** Index of the BatchAck in the request's `acks`. */
  ack: number;
  offset: number;
  code: number;
  remark: string;
}

const REQUEST = "BatchAckMessageRequestBody";

/** Writes the request body with the short field names fastjson2 uses for BatchAck. */
export function encodeBatchAckBody(brokerName: string, acks: readonly BatchAck[]): Uint8Array {
  return encodeJsonBody({
    brokerName,
    acks: acks.map((a) => ({
      c: a.consumerGroup,
      t: a.topic,
      r: a.retry,
      so: a.startOffset,
      q: a.queueId,
      rq: a.reviveQueueId,
      pt: a.popTime,
      it: a.invisibleTime,
      b: encodeBitSet(a.offsets, a.startOffset),
    })),
  });
}

/** Reads a request body (short field names as fastjson2 writes them, or the long ones). */
export function decodeBatchAckBody(body: Uint8Array | undefined): { brokerName: string; acks: BatchAck[] } {
  const r = bodyReader(REQUEST);
  const root = r.object(decodeJsonBody(body, REQUEST), "$");
  const brokerName = r.string(root.brokerName, "$.brokerName");
  if (brokerName === "" || brokerName.includes(" "))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${REQUEST} body: $.brokerName is illegal`);
  let total = 0;
  const acks = r.array(root.acks, "$.acks").map((v, i): BatchAck => {
    const p = `$.acks[${i}]`;
    const o = r.object(v, p);
    const field = (short: string, long: string) => (o[short] !== undefined ? o[short] : o[long]);
    const int = (short: string, long: string) => {
      const n = r.number(field(short, long), `${p}.${short}`);
      if (!Number.isSafeInteger(n) || n < 0)
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          `malformed ${REQUEST} body: ${p}.${short} is illegal`,
        );
      return n;
    };
    const retry = r.string(field("r", "retry"), `${p}.r`, "0");
    if (retry !== "0" && retry !== "1")
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `malformed ${REQUEST} body: ${p}.r must be "0" or "1"`,
      );
    const startOffset = int("so", "startOffset");
    const offsets = decodeBitSet(r.string(field("b", "bitSet"), `${p}.b`), startOffset, `${p}.b`);
    total += offsets.length;
    if (total > MAX_BATCH_ACK_OFFSETS) throw tooMany();
    return {
      consumerGroup: r.string(field("c", "consumerGroup"), `${p}.c`),
      topic: r.string(field("t", "topic"), `${p}.t`),
      retry,
      startOffset,
      queueId: int("q", "queueId"),
      reviveQueueId: int("rq", "reviveQueueId"),
      popTime: int("pt", "popTime"),
      invisibleTime: int("it", "invisibleTime"),
      offsets,
    };
  });
  return { brokerName, acks };
}

export function encodeBatchAckFailures(failures: readonly BatchAckFailure[]): Uint8Array | undefined {
  return failures.length > 0 ? encodeJsonBody({ failures }) : undefined;
}

/** The refused offsets of a response body; none for an empty body (every offset acked, or a RocketMQ broker). */
export function decodeBatchAckFailures(body: Uint8Array | undefined): BatchAckFailure[] {
  if (!body || body.length === 0) return [];
  const what = "BATCH_ACK_MESSAGE response";
  const r = bodyReader(what);
  const root = r.object(decodeJsonBody(body, what), "$");
  return r.array(root.failures, "$.failures", []).map((v, i) => {
    const f = r.object(v, `$.failures[${i}]`);
    return {
      ack: r.number(f.ack, `$.failures[${i}].ack`),
      offset: r.number(f.offset, `$.failures[${i}].offset`),
      code: r.number(f.code, `$.failures[${i}].code`),
      remark: r.string(f.remark, `$.failures[${i}].remark`, ""),
    };
  });
}

function tooMany(): MqError {
  return new MqError(
    ResponseCode.INVALID_PARAMETER,
    `${REQUEST} acks more than ${MAX_BATCH_ACK_OFFSETS} offsets in one request`,
  );
}

/** A Java BitSet as BitSetSerializerDeserializer writes it: Base64 of toByteArray(), bit n = byte n/8, bit n%8. */
function encodeBitSet(offsets: readonly number[], startOffset: number): string {
  let top = -1;
  for (const o of offsets) top = Math.max(top, o - startOffset);
  const bytes = new Uint8Array(top < 0 ? 0 : (top >> 3) + 1);
  for (const o of offsets) {
    const bit = o - startOffset;
    if (!Number.isSafeInteger(bit) || bit < 0)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `offset ${o} is below the BatchAck's start ${startOffset}`,
      );
    bytes[bit >> 3]! |= 1 << (bit & 7);
  }
  return Buffer.from(bytes).toString("base64");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBitSet(base64: string, startOffset: number, path: string): number[] {
  if (base64.length % 4 !== 0 || !BASE64.test(base64))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${REQUEST} body: ${path} is not Base64`);
  const bytes = Buffer.from(base64, "base64");
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (byte & (1 << bit)) {
        offsets.push(startOffset + i * 8 + bit);
        if (offsets.length > MAX_BATCH_ACK_OFFSETS) throw tooMany();
      }
    }
  }
  return offsets;
}
