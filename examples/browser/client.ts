import { durationFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { type Client, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { Code, Encoding, FilterType, type Message, MessageType, MessagingService } from "../../proto/v2.ts";

/*
 * The three calls a browser needs, on the generated MessagingService client: SendMessage, ReceiveMessage (a
 * server stream, which HTTP/1.1 carries fine) and AckMessage. No Telemetry: a browser cannot hold its bidi
 * stream over HTTP/1.1, and the proxy serves every other RPC on its default settings.
 */

export type Protocol = "connect" | "grpc-web";

export interface ExampleClientOptions {
  /** The proxy's Connect / gRPC-Web port (httpServerPort). */
  baseUrl: string;
  protocol: Protocol;
}

export const defaultExampleClientOptions: Readonly<ExampleClientOptions> = Object.freeze({
  baseUrl: "http://127.0.0.1:8082",
  protocol: "connect",
});

export interface OutgoingMessage {
  topic: string;
  tag: string;
  keys: string[];
  body: string;
}

export interface ReceivedMessage {
  topic: string;
  messageId: string;
  tag: string;
  keys: string[];
  body: string;
  deliveryAttempt: number;
  receiptHandle: string;
}

export interface ReceiveOptions {
  consumerGroup: string;
  topic: string;
  /** How long the proxy may hold the call open waiting for messages (it clamps this to its own bounds). */
  longPollingMillis: number;
  /** How long received messages stay hidden from other receives unless acked first. */
  invisibleMillis: number;
  batchSize: number;
}

/** What a call ended with: the v2 Code name ("OK", "MESSAGE_NOT_FOUND", ...) or "TRANSPORT" for a failed call. */
export interface Outcome {
  ok: boolean;
  code: string;
  message: string;
}

export interface ExampleClient {
  send(m: OutgoingMessage): Promise<Outcome & { messageId: string }>;
  receive(options: ReceiveOptions): Promise<Outcome & { messages: ReceivedMessage[] }>;
  ack(consumerGroup: string, m: ReceivedMessage): Promise<Outcome>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function outcome(status: { code: Code; message: string } | undefined): Outcome {
  const code = status?.code ?? Code.CODE_UNSPECIFIED;
  return { ok: code === Code.OK, code: Code[code] ?? String(code), message: status?.message ?? "" };
}

function transportFailure(err: unknown): Outcome {
  return { ok: false, code: "TRANSPORT", message: ConnectError.from(err).message };
}

/** A RocketMQ 5 style message id ("01" + 16 bytes hex): clients, not the proxy, name their messages. */
function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `01${Array.from(bytes, (b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase()}`;
}

function toReceived(m: Message): ReceivedMessage {
  const sp = m.systemProperties;
  return {
    topic: m.topic?.name ?? "",
    messageId: sp?.messageId ?? "",
    tag: sp?.tag ?? "",
    keys: sp?.keys ?? [],
    body: fromUtf8.decode(m.body),
    deliveryAttempt: sp?.deliveryAttempt ?? 0,
    receiptHandle: sp?.receiptHandle ?? "",
  };
}

export function createExampleClient(options: Partial<ExampleClientOptions> = {}): ExampleClient {
  const { baseUrl, protocol } = { ...defaultExampleClientOptions, ...options };
  const transport =
    protocol === "grpc-web" ? createGrpcWebTransport({ baseUrl }) : createConnectTransport({ baseUrl });
  const client: Client<typeof MessagingService> = createClient(MessagingService, transport);

  return {
    async send(m) {
      const messageId = newMessageId();
      try {
        const res = await client.sendMessage({
          messages: [
            {
              topic: { name: m.topic },
              body: utf8.encode(m.body),
              systemProperties: {
                messageId,
                tag: m.tag === "" ? undefined : m.tag,
                keys: m.keys,
                messageType: MessageType.NORMAL,
                bodyEncoding: Encoding.IDENTITY,
                bornTimestamp: timestampNow(),
              },
            },
          ],
        });
        const entry = res.entries[0];
        return { ...outcome(entry?.status ?? res.status), messageId: entry?.messageId || messageId };
      } catch (err) {
        return { ...transportFailure(err), messageId };
      }
    },

    async receive(o) {
      const messages: ReceivedMessage[] = [];
      let status: Outcome | undefined;
      try {
        const stream = client.receiveMessage(
          {
            group: { name: o.consumerGroup },
            messageQueue: { topic: { name: o.topic }, id: -1, acceptMessageTypes: [MessageType.NORMAL] },
            filterExpression: { type: FilterType.TAG, expression: "*" },
            batchSize: o.batchSize,
            invisibleDuration: durationFromMs(o.invisibleMillis),
            autoRenew: false,
            longPollingTimeout: durationFromMs(o.longPollingMillis),
          },
          // The deadline must outlast the long poll, or the proxy refuses the call (ILLEGAL_POLLING_TIME).
          { timeoutMs: o.longPollingMillis + 5000 },
        );
        // One status part, the messages, then a delivery timestamp.
        for await (const part of stream) {
          if (part.content.case === "status") status = outcome(part.content.value);
          else if (part.content.case === "message") messages.push(toReceived(part.content.value));
        }
      } catch (err) {
        return { ...transportFailure(err), messages };
      }
      return { ...(status ?? outcome(undefined)), messages };
    },

    async ack(consumerGroup, m) {
      try {
        const res = await client.ackMessage({
          group: { name: consumerGroup },
          topic: { name: m.topic },
          entries: [{ messageId: m.messageId, receiptHandle: m.receiptHandle }],
        });
        return outcome(res.entries[0]?.status ?? res.status);
      } catch (err) {
        return transportFailure(err);
      }
    },
  };
}
