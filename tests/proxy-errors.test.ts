import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as netConnect } from "node:net";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createConnectTransport } from "@connectrpc/connect-web";
import {
  ClientType,
  Code,
  MessagingService,
  type SendMessageRequest,
  SendMessageRequestSchema,
  TelemetryCommandSchema,
} from "../proto/v2.ts";
import { createAsyncQueue } from "../proxy/async-queue.ts";
import { waitFor } from "./harness.ts";
import { type LocalStack, startLocalStack } from "./proxy-harness.ts";

/*
 * Bad input on both ports: every refusal comes back as a v2 Code in the response Status (or a gRPC status for
 * what cannot be decoded), never a hang, and the proxy keeps serving afterwards.
 */

let stack: LocalStack;
let grpc: Client<typeof MessagingService>;
let connect: Client<typeof MessagingService>;

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.createTopic("err-normal");
  await stack.createTopic("err-fifo", "FIFO");
  grpc = createClient(MessagingService, createGrpcTransport({ baseUrl: `http://${stack.grpcEndpoint()}` }));
  connect = createClient(MessagingService, createConnectTransport({ baseUrl: stack.httpUrl() }));
});

afterAll(() => stack.close());

let seq = 0;
interface MessageFields {
  topic?: string;
  body?: Uint8Array;
  userProperties?: Record<string, string>;
  id?: string;
  group?: string;
  deliverAt?: number;
}

function message(fields: MessageFields = {}) {
  return {
    topic: { name: fields.topic ?? "err-normal" },
    userProperties: fields.userProperties ?? {},
    body: fields.body ?? new TextEncoder().encode("x"),
    systemProperties: {
      messageId: fields.id ?? `01${String(Date.now()).padStart(20, "0")}${String(seq++).padStart(12, "0")}`,
      messageGroup: fields.group,
      deliveryTimestamp: fields.deliverAt ? timestampFromMs(fields.deliverAt) : undefined,
    },
  };
}

async function sendCode(c: Client<typeof MessagingService>, m: ReturnType<typeof message>) {
  const req: SendMessageRequest = create(SendMessageRequestSchema, { messages: [m] });
  return (await c.sendMessage(req)).status?.code;
}

describe("refusals carry the right v2 Code", () => {
  test("a topic that does not exist is TOPIC_NOT_FOUND", async () => {
    expect((await grpc.queryRoute({ topic: { name: "no-such-topic" } })).status?.code).toBe(
      Code.TOPIC_NOT_FOUND,
    );
    expect(await sendCode(grpc, message({ topic: "no-such-topic" }))).toBe(Code.TOPIC_NOT_FOUND);
    expect(await sendCode(connect, message({ topic: "no-such-topic" }))).toBe(Code.TOPIC_NOT_FOUND);
    const parts = [];
    for await (const r of grpc.receiveMessage({
      group: { name: "g" },
      messageQueue: { topic: { name: "no-such-topic" } },
      batchSize: 1,
      invisibleDuration: durationFromMs(5000),
    }))
      parts.push(r.content);
    expect(parts[0]).toMatchObject({ case: "status", value: { code: Code.TOPIC_NOT_FOUND } });
  });

  test("a body over 4 MiB is MESSAGE_BODY_TOO_LARGE on both ports; exactly 4 MiB is stored", async () => {
    const big = message({ body: new Uint8Array(4 * 1024 * 1024 + 1) });
    expect(await sendCode(grpc, big)).toBe(Code.MESSAGE_BODY_TOO_LARGE);
    expect(await sendCode(connect, big)).toBe(Code.MESSAGE_BODY_TOO_LARGE);
    expect(await sendCode(grpc, message({ body: new Uint8Array(4 * 1024 * 1024).fill(7) }))).toBe(Code.OK);
  });

  test("malformed messages are refused with specific codes", async () => {
    expect(await sendCode(grpc, message({ body: new Uint8Array() }))).toBe(Code.MESSAGE_BODY_EMPTY);
    expect(await sendCode(grpc, message({ topic: "bad topic!" }))).toBe(Code.ILLEGAL_TOPIC);
    expect(await sendCode(grpc, message({ id: "" }))).toBe(Code.ILLEGAL_MESSAGE_ID);
    expect(await sendCode(grpc, message({ userProperties: { TAGS: "x" } }))).toBe(
      Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
    );
    const many = Object.fromEntries([...Array(200).keys()].map((i) => [`k${i}`, "v"]));
    expect(await sendCode(grpc, message({ userProperties: many }))).toBe(Code.MESSAGE_PROPERTIES_TOO_LARGE);
    expect(await sendCode(grpc, message({ topic: "err-fifo", group: "g".repeat(65) }))).toBe(
      Code.ILLEGAL_MESSAGE_GROUP,
    );
    expect(await sendCode(grpc, message({ deliverAt: Date.now() + 3 * 24 * 3600 * 1000 }))).toBe(
      Code.ILLEGAL_DELIVERY_TIME,
    );
    // A FIFO message to a NORMAL topic, and a normal one to a FIFO topic.
    expect(await sendCode(grpc, message({ group: "g1" }))).toBe(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);
    expect(await sendCode(grpc, message({ topic: "err-fifo" }))).toBe(
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
    );
    expect((await grpc.sendMessage({ messages: [] })).status?.code).toBe(Code.MESSAGE_CORRUPTED);
  });

  test("a malformed or foreign receipt handle is INVALID_RECEIPT_HANDLE", async () => {
    const ack = (receiptHandle: string) =>
      grpc.ackMessage({
        group: { name: "g" },
        topic: { name: "err-normal" },
        entries: [{ messageId: "m", receiptHandle }],
      });
    for (const handle of ["", "garbage", "0 1 2 3 0 broker-a 0", "0 1 2 0 0 broker-a x 0 0"]) {
      const res = await ack(handle);
      expect(res.status?.code).toBe(Code.INVALID_RECEIPT_HANDLE);
      expect(res.entries[0].status?.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    }
    const foreign = await ack(`0 ${Date.now()} 60000 0 0 some-other-broker 0 0 0`);
    expect(foreign.status?.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    const change = await connect.changeInvisibleDuration({
      group: { name: "g" },
      topic: { name: "err-normal" },
      receiptHandle: "not a handle",
      invisibleDuration: durationFromMs(1000),
    });
    expect(change.status?.code).toBe(Code.INVALID_RECEIPT_HANDLE);
  });

  test("receive checks its invisible duration and batch size", async () => {
    const first = async (invisibleMs: number, batchSize = 1) => {
      for await (const r of grpc.receiveMessage({
        group: { name: "g" },
        messageQueue: { topic: { name: "err-normal" } },
        batchSize,
        invisibleDuration: durationFromMs(invisibleMs),
      }))
        return r.content;
    };
    expect(await first(10)).toMatchObject({ case: "status", value: { code: Code.ILLEGAL_INVISIBLE_TIME } });
    expect(await first(5000, 0)).toMatchObject({ case: "status", value: { code: Code.BAD_REQUEST } });
  });

  test("a long poll ends before the client's deadline instead of timing out", async () => {
    const started = Date.now();
    const parts = [];
    for await (const r of grpc.receiveMessage(
      {
        group: { name: "g-deadline" },
        messageQueue: { topic: { name: "err-fifo" } },
        batchSize: 1,
        invisibleDuration: durationFromMs(5000),
        longPollingTimeout: durationFromMs(30_000),
      },
      { timeoutMs: 1500 },
    ))
      parts.push(r.content.case);
    expect(parts).toEqual(["status", "deliveryTimestamp"]);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("clients that skip the handshake", () => {
  test("a client that never sends Settings can still send; its open Telemetry stream does not block", async () => {
    const headers = { "x-mq-client-id": "no-settings-client" };
    const requests = createAsyncQueue<ReturnType<typeof create<typeof TelemetryCommandSchema>>>();
    const abort = new AbortController();
    const replies: unknown[] = [];
    const telemetry = (async () => {
      try {
        for await (const r of grpc.telemetry(requests, { headers, signal: abort.signal })) replies.push(r);
      } catch {
        // cancelled below
      }
    })();
    expect(await sendCode(grpc, message())).toBe(Code.OK);
    expect((await grpc.heartbeat({ clientType: ClientType.PRODUCER }, { headers })).status?.code).toBe(
      Code.OK,
    );
    expect(replies).toEqual([]);
    // Settings without publishing or subscription get a clear refusal on the stream.
    requests.push(create(TelemetryCommandSchema, { command: { case: "settings", value: {} } }));
    await waitFor("a Telemetry reply", () => replies.length > 0, 5000);
    expect(replies[0]).toMatchObject({ status: { code: Code.BAD_REQUEST } });
    abort.abort();
    requests.end();
    await telemetry;
    expect(await sendCode(grpc, message())).toBe(Code.OK);
  });
});

describe("garbage bytes", () => {
  const garbage = (port: number) =>
    new Promise<void>((resolve) => {
      const s = netConnect(port, "127.0.0.1", () =>
        s.write("\x16\x03\x01\x00\xffnot a protocol at all\r\n\r\n"),
      );
      s.resume();
      s.on("close", () => resolve());
      s.on("error", () => resolve());
      s.setTimeout(3000, () => s.destroy());
    });

  test("the gRPC port and the HTTP port keep serving after garbage", async () => {
    await Promise.all([garbage(stack.proxies[0].grpcPort), garbage(stack.proxies[0].httpPort)]);
    expect((await grpc.queryRoute({ topic: { name: "err-normal" } })).status?.code).toBe(Code.OK);
    expect((await connect.queryRoute({ topic: { name: "err-normal" } })).status?.code).toBe(Code.OK);
    const raw = await fetch(`${stack.httpUrl()}/apache.rocketmq.v2.MessagingService/SendMessage`, {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
      body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    });
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect((await connect.queryRoute({ topic: { name: "err-normal" } })).status?.code).toBe(Code.OK);
  });
});
