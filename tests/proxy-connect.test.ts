import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { crc32 } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  AckMessageRequestSchema,
  ClientType,
  Code,
  DigestType,
  type Message,
  MessagingService,
  ReceiveMessageRequestSchema,
  SendMessageRequestSchema,
} from "../proto/v2.ts";
import { type LocalStack, startLocalStack } from "./proxy-harness.ts";

/*
 * Browser-style clients on the HTTP port (Connect binary, Connect JSON, gRPC-Web; connect-web's fetch transports
 * under Bun): send, receive and ack with no Telemetry stream, as a browser over HTTP/1.1 must.
 */

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(() => stack.close());

const transports: [string, (baseUrl: string) => Transport][] = [
  ["Connect (binary)", (baseUrl) => createConnectTransport({ baseUrl, useBinaryFormat: true })],
  ["Connect JSON", (baseUrl) => createConnectTransport({ baseUrl, useBinaryFormat: false })],
  ["gRPC-Web", (baseUrl) => createGrpcWebTransport({ baseUrl })],
];

let seq = 0;
const messageId = () => `01${(Date.now() * 1000 + seq++).toString(16).toUpperCase().padStart(32, "0")}`;

async function receiveAll(
  client: Client<typeof MessagingService>,
  topic: string,
  group: string,
  pollMs = 2000,
) {
  const parts = [];
  for await (const r of client.receiveMessage(
    create(ReceiveMessageRequestSchema, {
      group: { name: group },
      messageQueue: { topic: { name: topic } },
      batchSize: 16,
      invisibleDuration: durationFromMs(5000),
      longPollingTimeout: durationFromMs(pollMs),
    }),
  ))
    parts.push(r.content);
  return parts;
}

describe.each(transports)("%s on the HTTP port", (name, transportFor) => {
  const topic = `web-${name.replace(/[^a-z]/gi, "")}`;
  const group = `${topic}-g`;
  let client: Client<typeof MessagingService>;

  beforeAll(async () => {
    await stack.createTopic(topic);
    await stack.createTopic(`${topic}-empty`);
    client = createClient(MessagingService, transportFor(stack.httpUrl()));
  });

  test("sends, receives and acks without Telemetry", async () => {
    const id = messageId();
    const sent = await client.sendMessage(
      create(SendMessageRequestSchema, {
        messages: [
          {
            topic: { name: topic },
            userProperties: { from: "browser" },
            systemProperties: { messageId: id, tag: "web", keys: ["wk1", "wk2"] },
            body: new TextEncoder().encode(`hello from ${name}`),
          },
        ],
      }),
    );
    expect(sent.status?.code).toBe(Code.OK);
    expect(sent.entries[0].messageId).toBe(id);

    const parts = await receiveAll(client, topic, group);
    expect(parts[0].case).toBe("status");
    expect(parts[0].value).toMatchObject({ code: Code.OK });
    expect(parts.at(-1)?.case).toBe("deliveryTimestamp");
    const messages = parts.filter((p) => p.case === "message").map((p) => p.value as Message);
    expect(messages.length).toBe(1);
    const m = messages[0];
    const sp = m.systemProperties!;
    expect(new TextDecoder().decode(m.body)).toBe(`hello from ${name}`);
    expect(m.userProperties).toEqual({ from: "browser" });
    expect(sp.messageId).toBe(id);
    expect(sp.tag).toBe("web");
    expect(sp.keys).toEqual(["wk1", "wk2"]);
    expect(sp.deliveryAttempt).toBe(1);
    // No born_host from the client: the address the proxy saw.
    expect(sp.bornHost).toBe("127.0.0.1:0");
    expect(sp.bodyDigest).toMatchObject({ type: DigestType.CRC32, checksum: String(crc32(m.body)) });
    expect(sp.receiptHandle).toBeString();

    const ack = await client.ackMessage(
      create(AckMessageRequestSchema, {
        group: { name: group },
        topic: { name: topic },
        entries: [{ messageId: id, receiptHandle: sp.receiptHandle! }],
      }),
    );
    expect(ack.status?.code).toBe(Code.OK);
    stack.advance(6000);
    expect(await stack.revive()).toBe(0);
  }, 15_000);

  test("answers Heartbeat with defaults when the client never sent Settings", async () => {
    const res = await client.heartbeat(
      { clientType: ClientType.SIMPLE_CONSUMER, group: { name: group } },
      { headers: { "x-mq-client-id": `web-${name}` } },
    );
    expect(res.status?.code).toBe(Code.OK);
    const anonymous = await client.heartbeat({ clientType: ClientType.PRODUCER });
    expect(anonymous.status?.code).toBe(Code.CLIENT_ID_REQUIRED);
  });

  test("reports an empty receive as MESSAGE_NOT_FOUND and ends the stream", async () => {
    const parts = await receiveAll(client, `${topic}-empty`, group, 300);
    expect(parts.map((p) => p.case)).toEqual(["status", "deliveryTimestamp"]);
    expect(parts[0].value).toMatchObject({ code: Code.MESSAGE_NOT_FOUND });
  }, 10_000);
});

describe("CORS on the HTTP port", () => {
  test("answers a browser preflight for the RocketMQ headers", async () => {
    const res = await fetch(`${stack.httpUrl()}/apache.rocketmq.v2.MessagingService/SendMessage`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-mq-client-id,connect-protocol-version",
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-mq-client-id");
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
  });
});
