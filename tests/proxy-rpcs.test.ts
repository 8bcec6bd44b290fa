import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ClientType,
  Code,
  type Message,
  MessageType,
  MessagingService,
  Permission,
  QueryOffsetPolicy,
  type ReceiveMessageRequest,
  SendMessageRequestSchema,
  TelemetryCommandSchema,
} from "../proto/v2.ts";
import { createAsyncQueue } from "../proxy/async-queue.ts";
import { waitFor } from "./harness.ts";
import { type LocalStack, startLocalStack } from "./proxy-harness.ts";

/*
 * The RPCs the SDK tests do not reach, over native gRPC (connect-node's gRPC transport): routes and assignments,
 * Telemetry's settings reply, offsets and pull, ChangeInvisibleDuration, dead-lettering, termination, recall.
 */

let stack: LocalStack;
let grpc: Client<typeof MessagingService>;
const headers = { "x-mq-client-id": "rpc-test-client" };

beforeAll(async () => {
  stack = await startLocalStack();
  await stack.createTopic("rpc-a");
  await stack.createTopic("rpc-fifo", "FIFO");
  await stack.createGroup("rpc-fifo-g", true);
  grpc = createClient(MessagingService, createGrpcTransport({ baseUrl: `http://${stack.grpcEndpoint()}` }));
});

afterAll(() => stack.close());

let seq = 0;
async function send(topic: string, body: string, extra: Partial<{ group: string; tag: string }> = {}) {
  const res = await grpc.sendMessage(
    create(SendMessageRequestSchema, {
      messages: [
        {
          topic: { name: topic },
          systemProperties: {
            messageId: `01RPC${String(Date.now()).padStart(16, "0")}${String(seq++).padStart(13, "0")}`,
            messageGroup: extra.group,
            tag: extra.tag,
          },
          body: new TextEncoder().encode(body),
        },
      ],
    }),
  );
  expect(res.status?.code).toBe(Code.OK);
  return res.entries[0];
}

async function receive(
  request: Partial<Omit<ReceiveMessageRequest, "group">> & { topic: string; group: string },
) {
  const messages: Message[] = [];
  let status: number | undefined;
  for await (const r of grpc.receiveMessage(
    {
      group: { name: request.group },
      messageQueue: { topic: { name: request.topic } },
      batchSize: request.batchSize ?? 16,
      invisibleDuration: request.autoRenew ? undefined : durationFromMs(5000),
      autoRenew: request.autoRenew ?? false,
      longPollingTimeout: durationFromMs(500),
      filterExpression: request.filterExpression,
    },
    { headers },
  )) {
    if (r.content.case === "status") status = r.content.value.code;
    if (r.content.case === "message") messages.push(r.content.value);
  }
  return { status, messages };
}

describe("routes and sessions", () => {
  test("QueryRoute answers this proxy's endpoint, queue 0 READ_WRITE and the topic's message type", async () => {
    const res = await grpc.queryRoute({ topic: { name: "rpc-fifo" } });
    expect(res.status?.code).toBe(Code.OK);
    expect(res.messageQueues.map((q) => q.id)).toEqual([0, 1, 2, 3]);
    const q0 = res.messageQueues[0];
    expect(q0.permission).toBe(Permission.READ_WRITE);
    expect(q0.acceptMessageTypes).toEqual([MessageType.FIFO]);
    expect(q0.broker?.endpoints?.addresses).toEqual([
      expect.objectContaining({ host: "127.0.0.1", port: stack.proxies[0].grpcPort }),
    ]);
  });

  test("QueryAssignment: any queue for a normal group, every queue for a FIFO group", async () => {
    const normal = await grpc.queryAssignment({ topic: { name: "rpc-a" }, group: { name: "rpc-g" } });
    expect(normal.assignments.map((a) => a.messageQueue?.id)).toEqual([-1]);
    const fifo = await grpc.queryAssignment({ topic: { name: "rpc-fifo" }, group: { name: "rpc-fifo-g" } });
    expect(fifo.assignments.map((a) => a.messageQueue?.id)).toEqual([0, 1, 2, 3]);
  });

  test("Telemetry answers a producer's and a consumer's settings with the server's", async () => {
    const requests = createAsyncQueue<ReturnType<typeof create<typeof TelemetryCommandSchema>>>();
    const replies: ReturnType<typeof create<typeof TelemetryCommandSchema>>[] = [];
    const reading = (async () => {
      for await (const r of grpc.telemetry(requests, { headers })) replies.push(r);
    })();
    requests.push(
      create(TelemetryCommandSchema, {
        command: {
          case: "settings",
          value: {
            clientType: ClientType.PRODUCER,
            pubSub: { case: "publishing", value: { topics: [{ name: "rpc-a" }] } },
          },
        },
      }),
    );
    requests.push(
      create(TelemetryCommandSchema, {
        command: {
          case: "settings",
          value: {
            clientType: ClientType.PUSH_CONSUMER,
            pubSub: { case: "subscription", value: { group: { name: "rpc-fifo-g" }, subscriptions: [] } },
          },
        },
      }),
    );
    await waitFor("two settings replies", () => replies.length === 2);
    requests.end();
    await reading;
    const [pub, sub] = replies.map((r) => r.command);
    expect(
      pub.case === "settings" && pub.value.pubSub.case === "publishing" && pub.value.pubSub.value.maxBodySize,
    ).toBe(4 * 1024 * 1024);
    expect(pub.case === "settings" && pub.value.backoffPolicy?.strategy.case).toBe("exponentialBackoff");
    if (sub.case !== "settings" || sub.value.pubSub.case !== "subscription")
      throw new Error("expected subscription");
    expect(sub.value.pubSub.value.fifo).toBe(true);
    expect(sub.value.pubSub.value.receiveBatchSize).toBeGreaterThan(0);
    expect(sub.value.backoffPolicy?.maxAttempts).toBe(17);
    expect(stack.proxies[0].sessions.get("rpc-test-client")?.producerGroups.has("rpc-a")).toBe(true);
  });

  test("NotifyClientTermination forgets the client", async () => {
    await grpc.heartbeat({ clientType: ClientType.SIMPLE_CONSUMER, group: { name: "rpc-g" } }, { headers });
    expect(stack.proxies[0].sessions.get("rpc-test-client")).toBeDefined();
    expect((await grpc.notifyClientTermination({}, { headers })).status?.code).toBe(Code.OK);
    expect(stack.proxies[0].sessions.get("rpc-test-client")).toBeUndefined();
  });
});

describe("consuming", () => {
  test("receive filters by tag expression", async () => {
    await stack.createTopic("rpc-tags");
    await send("rpc-tags", "red one", { tag: "red" });
    await send("rpc-tags", "blue one", { tag: "blue" });
    const r = await receive({
      topic: "rpc-tags",
      group: "rpc-tags-g",
      filterExpression: { expression: "blue||green" } as ReceiveMessageRequest["filterExpression"],
    });
    expect(r.messages.map((m) => new TextDecoder().decode(m.body))).toEqual(["blue one"]);
    const ack = await grpc.ackMessage({
      group: { name: "rpc-tags-g" },
      topic: { name: "rpc-tags" },
      entries: r.messages.map((m) => ({
        messageId: m.systemProperties!.messageId,
        receiptHandle: m.systemProperties!.receiptHandle!,
      })),
    });
    expect(ack.status?.code).toBe(Code.OK);
  });

  test("ChangeInvisibleDuration answers a new handle, the one that acks", async () => {
    await stack.createTopic("rpc-change");
    await send("rpc-change", "change me");
    const [m] = (await receive({ topic: "rpc-change", group: "rpc-change-g" })).messages;
    const old = m.systemProperties!.receiptHandle!;
    const changed = await grpc.changeInvisibleDuration({
      group: { name: "rpc-change-g" },
      topic: { name: "rpc-change" },
      receiptHandle: old,
      invisibleDuration: durationFromMs(30_000),
      messageId: m.systemProperties!.messageId,
    });
    expect(changed.status?.code).toBe(Code.OK);
    expect(changed.receiptHandle).not.toBe(old);
    const ack = await grpc.ackMessage({
      group: { name: "rpc-change-g" },
      topic: { name: "rpc-change" },
      entries: [{ messageId: m.systemProperties!.messageId, receiptHandle: changed.receiptHandle }],
    });
    expect(ack.status?.code).toBe(Code.OK);
    stack.advance(40_000);
    expect(await stack.revive()).toBe(0);
  });

  test("auto_renew keeps a message invisible past its invisible time until the ack", async () => {
    await stack.createTopic("rpc-renew");
    await send("rpc-renew", "renew me");
    const [m] = (await receive({ topic: "rpc-renew", group: "rpc-renew-g", autoRenew: true })).messages;
    const proxy = stack.proxies[0];
    expect(proxy.renewer.size).toBe(1);
    // Two renewals: each lands before the handle's time runs out, each issues a new handle.
    for (let i = 0; i < 2; i++) {
      stack.advance(55_000);
      await Promise.all(proxy.renewer.renewDue());
      stack.advance(10_000);
      expect(await stack.revive()).toBe(0);
    }
    const ack = await grpc.ackMessage({
      group: { name: "rpc-renew-g" },
      topic: { name: "rpc-renew" },
      entries: [
        { messageId: m.systemProperties!.messageId, receiptHandle: m.systemProperties!.receiptHandle! },
      ],
    });
    expect(ack.status?.code).toBe(Code.OK);
    expect(proxy.renewer.size).toBe(0);
    stack.advance(120_000);
    expect(await stack.revive()).toBe(0);
  });

  test("ForwardMessageToDeadLetterQueue moves the message to %DLQ%group", async () => {
    await stack.createTopic("rpc-dlq");
    await send("rpc-dlq", "give up");
    const [m] = (await receive({ topic: "rpc-dlq", group: "rpc-dlq-g" })).messages;
    const res = await grpc.forwardMessageToDeadLetterQueue({
      group: { name: "rpc-dlq-g" },
      topic: { name: "rpc-dlq" },
      receiptHandle: m.systemProperties!.receiptHandle!,
      messageId: m.systemProperties!.messageId,
      deliveryAttempt: 1,
      maxDeliveryAttempts: 1,
    });
    expect(res.status?.code).toBe(Code.OK);
    const dlq = await grpc.queryOffset({
      messageQueue: { topic: { name: "%DLQ%rpc-dlq-g" }, id: 0, broker: { name: "broker-a" } },
      queryOffsetPolicy: QueryOffsetPolicy.END,
    });
    expect(dlq.offset).toBe(1n);
  });

  test("PullMessage, UpdateOffset, GetOffset and QueryOffset work by queue and offset", async () => {
    await stack.createTopic("rpc-pull");
    for (let i = 0; i < 3; i++) await send("rpc-pull", `pull ${i}`);
    const route = await grpc.queryRoute({ topic: { name: "rpc-pull" } });
    let total = 0;
    for (const q of route.messageQueues) {
      const mq = { topic: { name: "rpc-pull" }, id: q.id, broker: { name: q.broker!.name } };
      const end = await grpc.queryOffset({ messageQueue: mq, queryOffsetPolicy: QueryOffsetPolicy.END });
      const begin = await grpc.queryOffset({
        messageQueue: mq,
        queryOffsetPolicy: QueryOffsetPolicy.BEGINNING,
      });
      expect(begin.offset).toBe(0n);
      if (end.offset === 0n) continue;
      const parts = [];
      for await (const r of grpc.pullMessage({
        group: { name: "rpc-pull-g" },
        messageQueue: mq,
        offset: 0n,
        batchSize: 10,
        filterExpression: { expression: "*" } as never,
      }))
        parts.push(r.content);
      expect(parts[0]).toMatchObject({ case: "status", value: { code: Code.OK } });
      const pulled = parts.filter((p) => p.case === "message").length;
      expect(parts.at(-1)).toEqual({ case: "nextOffset", value: BigInt(pulled) });
      total += pulled;
      expect((await grpc.getOffset({ group: { name: "rpc-pull-g" }, messageQueue: mq })).status?.code).toBe(
        Code.OFFSET_NOT_FOUND,
      );
      await grpc.updateOffset({ group: { name: "rpc-pull-g" }, messageQueue: mq, offset: BigInt(pulled) });
      const committed = await grpc.getOffset({ group: { name: "rpc-pull-g" }, messageQueue: mq });
      expect(committed.offset).toBe(BigInt(pulled));
    }
    expect(total).toBe(3);
  });

  test("RecallMessage cancels a delay message once; bad or foreign handles get clear codes", async () => {
    await stack.createTopic("rpc-delay", "DELAY");
    const messageId = `01RPCRECALL${String(Date.now()).padStart(16, "0")}`;
    // An hour ahead: far beyond any clock skew the other cases add, well within the proxy's one-day limit.
    const sent = await grpc.sendMessage(
      create(SendMessageRequestSchema, {
        messages: [
          {
            topic: { name: "rpc-delay" },
            systemProperties: { messageId, deliveryTimestamp: timestampFromMs(Date.now() + 3_600_000) },
            body: new TextEncoder().encode("recall me"),
          },
        ],
      }),
    );
    expect(sent.status?.code).toBe(Code.OK);
    const handle = sent.entries[0].recallHandle;
    expect(handle).not.toBe("");
    // A normal message has nothing to recall.
    expect((await send("rpc-a", "plain")).recallHandle).toBe("");

    const recall = (topic: string, recallHandle: string) =>
      grpc.recallMessage({ topic: { name: topic }, recallHandle });
    const refusals = {
      garbage: await recall("rpc-delay", "broker-a something"),
      empty: await recall("rpc-delay", ""),
      otherTopic: await recall("rpc-a", handle),
      badTopic: await recall("", handle),
      otherBroker: await recall(
        "rpc-delay",
        Buffer.from(`v1 rpc-delay no-such-broker 1 ${messageId}`).toString("base64url"),
      ),
    };
    expect(Object.fromEntries(Object.entries(refusals).map(([k, r]) => [k, r.status?.code]))).toEqual({
      garbage: Code.BAD_REQUEST,
      empty: Code.BAD_REQUEST,
      otherTopic: Code.BAD_REQUEST,
      badTopic: Code.ILLEGAL_TOPIC,
      otherBroker: Code.NOT_FOUND,
    });
    expect(refusals.garbage.status?.message).toContain("recall handle");

    const first = await recall("rpc-delay", handle);
    expect(first.status?.code).toBe(Code.OK);
    expect(first.messageId).toBe(messageId);
    const again = await recall("rpc-delay", handle);
    expect(again.status?.code).toBe(Code.MESSAGE_NOT_FOUND);
  });

  test("SyncLiteSubscription refuses clearly", async () => {
    const lite = await grpc.syncLiteSubscription({ topic: { name: "rpc-a" }, group: { name: "g" } });
    expect(lite.status?.code).toBe(Code.UNSUPPORTED);
  });
});
