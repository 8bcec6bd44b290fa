/**
 * The apache.rocketmq.v2 calls the proxy generators make, over either wire (GrpcChannel for gRPC on HTTP/2,
 * ConnectClient for Connect on HTTP/1.1): requests are encoded with the generated schemas, and SendMessage
 * requests are encoded once per batch size and get fresh message ids patched in for each call.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  AckMessageRequestSchema,
  AckMessageResponseSchema,
  AddressScheme,
  Code,
  type Message,
  MessageType,
  MessagingService,
  QueryRouteRequestSchema,
  type QueryRouteResponse,
  QueryRouteResponseSchema,
  ReceiveMessageRequestSchema,
  ReceiveMessageResponseSchema,
  SendMessageRequestSchema,
  SendMessageResponseSchema,
  type Status,
} from "../../proto/v2.ts";
import { findAll, ID_PLACEHOLDER, type IdStamper } from "./unique-ids.ts";

/** A unary and a server-streaming call with protobuf bytes in and out. */
export interface RpcTransport {
  unary(method: string, request: Uint8Array): Promise<Uint8Array>;
  serverStream(method: string, request: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void>;
  /** Ends the transport at once; calls in flight fail. */
  close(): void;
}

const M = MessagingService.method;

export class StatusError extends Error {
  constructor(
    readonly code: number,
    what: string,
    message: string,
  ) {
    super(`${what}: ${Code[code] ?? code} ${message}`);
    this.name = "StatusError";
  }
}

function ensureOk(what: string, s: Status | undefined): void {
  if (!s || s.code !== Code.OK) throw new StatusError(s?.code ?? -1, what, s?.message ?? "no status");
}

export async function queryRoute(t: RpcTransport, topic: string, port: number): Promise<QueryRouteResponse> {
  const request = create(QueryRouteRequestSchema, {
    topic: { name: topic },
    endpoints: { scheme: AddressScheme.IPv4, addresses: [{ host: "127.0.0.1", port }] },
  });
  return fromBinary(
    QueryRouteResponseSchema,
    await t.unary(M.queryRoute.name, toBinary(QueryRouteRequestSchema, request)),
  );
}

/** A SendMessageRequest of `messages` NORMAL messages, encoded once; send() patches in new message ids. */
export interface SendTemplate {
  bytes: Uint8Array;
  idAt: number[];
  messages: number;
}

export function sendTemplate(topic: string, body: Uint8Array, messages: number): SendTemplate {
  const request = create(SendMessageRequestSchema, {
    messages: Array.from({ length: messages }, () => ({
      topic: { name: topic },
      body,
      systemProperties: {
        messageId: `01${ID_PLACEHOLDER}`,
        messageType: MessageType.NORMAL,
        bornHost: "127.0.0.1",
        bornTimestamp: { seconds: BigInt(Math.floor(Date.now() / 1000)) },
      },
    })),
  });
  const bytes = toBinary(SendMessageRequestSchema, request);
  return { bytes, idAt: findAll(bytes, ID_PLACEHOLDER), messages };
}

/** Sends one copy of the template with fresh ids; resolves when every entry is stored (status OK). */
export async function sendFromTemplate(
  t: RpcTransport,
  template: SendTemplate,
  ids: IdStamper,
): Promise<number> {
  const bytes = template.bytes.slice();
  for (const at of template.idAt) ids.stamp(bytes, at);
  const r = fromBinary(SendMessageResponseSchema, await t.unary(M.sendMessage.name, bytes));
  ensureOk("SendMessage", r.status);
  return r.entries.length;
}

/** One message, encoded per call (W3 stamps each body). */
export async function sendOne(
  t: RpcTransport,
  topic: string,
  body: Uint8Array,
  messageId: string,
): Promise<void> {
  const request = create(SendMessageRequestSchema, {
    messages: [
      {
        topic: { name: topic },
        body,
        systemProperties: { messageId, messageType: MessageType.NORMAL, bornHost: "127.0.0.1" },
      },
    ],
  });
  const r = fromBinary(
    SendMessageResponseSchema,
    await t.unary(M.sendMessage.name, toBinary(SendMessageRequestSchema, request)),
  );
  ensureOk("SendMessage", r.status);
}

export interface Received {
  messageId: string;
  receiptHandle: string;
  body: Uint8Array;
}

export interface ReceiveArgs {
  group: string;
  topic: string;
  batchSize: number;
  invisibleMs: number;
  longPollingMs: number;
}

/** ReceiveMessage: the messages of one pop (none when the long poll ended empty). */
export async function receive(t: RpcTransport, a: ReceiveArgs): Promise<Received[]> {
  const request = create(ReceiveMessageRequestSchema, {
    group: { name: a.group },
    messageQueue: { topic: { name: a.topic } },
    filterExpression: { expression: "*" },
    batchSize: a.batchSize,
    invisibleDuration: durationFromMs(a.invisibleMs),
    longPollingTimeout: durationFromMs(a.longPollingMs),
    autoRenew: false,
  });
  const out: Received[] = [];
  let status: Status | undefined;
  await t.serverStream(M.receiveMessage.name, toBinary(ReceiveMessageRequestSchema, request), (bytes) => {
    const part = fromBinary(ReceiveMessageResponseSchema, bytes).content;
    if (part.case === "status") status = part.value;
    else if (part.case === "message") out.push(messagePart(part.value));
  });
  if (status && status.code !== Code.OK && status.code !== Code.MESSAGE_NOT_FOUND)
    ensureOk("ReceiveMessage", status);
  return out;
}

function messagePart(m: Message): Received {
  return {
    messageId: m.systemProperties?.messageId ?? "",
    receiptHandle: m.systemProperties?.receiptHandle ?? "",
    body: m.body,
  };
}

/** AckMessage for all of them in one request; resolves when every entry is acked. */
export async function ack(
  t: RpcTransport,
  group: string,
  topic: string,
  messages: Received[],
): Promise<void> {
  const request = create(AckMessageRequestSchema, {
    group: { name: group },
    topic: { name: topic },
    entries: messages.map((m) => ({ messageId: m.messageId, receiptHandle: m.receiptHandle })),
  });
  const r = fromBinary(
    AckMessageResponseSchema,
    await t.unary(M.ackMessage.name, toBinary(AckMessageRequestSchema, request)),
  );
  ensureOk("AckMessage", r.status);
}
