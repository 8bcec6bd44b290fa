import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ConsumeResult,
  type MessageView,
  Producer,
  PushConsumer,
  SimpleConsumer,
} from "rocketmq-client-nodejs";
import { AckMessageRequestSchema, Code, MessagingService, TransactionResolution } from "../proto/v2.ts";
import { waitFor } from "./harness.ts";
import { type LocalStack, sdkLogger, startLocalStack } from "./proxy-harness.ts";

/*
 * The official Node SDK (rocketmq-client-nodejs, grpc-js) against Local-mode proxies, run under Bun: the SDK's
 * startup handshake (QueryRoute, Telemetry settings), send, receive, ack, redelivery, and a push consumer.
 */

let stack: LocalStack;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  // Half messages are checked back as soon as possible, so the orphaned-transaction case is quick.
  stack = await startLocalStack({
    proxies: 2,
    brokerConfig: { transactionTimeOut: 0, transactionCheckInterval: 200 },
  });
  for (const t of ["sdk-basic", "sdk-redeliver", "sdk-cross", "sdk-push"]) await stack.createTopic(t);
  for (const t of ["sdk-tx", "sdk-orphan"]) await stack.createTopic(t, "TRANSACTION");
  await stack.createTopic("sdk-fifo", "FIFO");
  await stack.createGroup("sdk-fifo-g", true);
  await stack.createTopic("sdk-delay", "DELAY");
  await stack.createTopic("sdk-recall", "DELAY");
});

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await stack.close();
});

async function producer(topic: string, i = 0) {
  const p = new Producer({
    endpoints: stack.grpcEndpoint(i),
    namespace: "",
    topics: [topic],
    logger: sdkLogger,
  });
  await p.startup();
  clients.push(p);
  return p;
}

async function simpleConsumer(group: string, topic: string, i = 0) {
  const c = new SimpleConsumer({
    endpoints: stack.grpcEndpoint(i),
    namespace: "",
    consumerGroup: group,
    subscriptions: new Map([[topic, "*"]]),
    awaitDuration: 1000,
    logger: sdkLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

/** The message of the error `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a rejection");
}

/** Receives until `n` messages arrived (or the deadline passes). */
async function receiveN(c: SimpleConsumer, n: number, invisibleMs: number, timeoutMs = 10_000) {
  const got: MessageView[] = [];
  await waitFor(
    `${n} messages`,
    async () => {
      got.push(...(await c.receive(16, invisibleMs)));
      return got.length >= n;
    },
    timeoutMs,
    0,
  );
  return got;
}

describe("official Node SDK in Local mode", () => {
  // First: it runs on real time, before other cases move the shared clock on.
  test("a delay message is delivered at its delivery time, not before", async () => {
    const consumer = await simpleConsumer("sdk-delay-g", "sdk-delay");
    const p = await producer("sdk-delay");
    const at = Date.now() + 1500;
    const { messageId } = await p.send({
      topic: "sdk-delay",
      deliveryTimestamp: new Date(at),
      body: Buffer.from("later"),
    });
    expect(await consumer.receive(16, 5000)).toEqual([]);
    const [m] = await receiveN(consumer, 1, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    expect(m.messageId).toBe(messageId);
    expect(m.deliveryTimestamp?.getTime()).toBe(at);
    await consumer.ack(m);
  }, 30_000);

  // Also on real time: the SDK stamps delivery times from the real clock.
  test("a recalled delay message is never delivered; a later one still is", async () => {
    const consumer = await simpleConsumer("sdk-recall-g", "sdk-recall");
    const p = await producer("sdk-recall");
    const at = Date.now() + 1000;
    const recalled = await p.send({
      topic: "sdk-recall",
      deliveryTimestamp: new Date(at),
      body: Buffer.from("recalled"),
    });
    expect(recalled.recallHandle).toBeString();
    const receipt = await p.recallMessage("sdk-recall", recalled.recallHandle!);
    expect(receipt.messageId).toBe(recalled.messageId);
    // Not `expect(...).rejects`: under bun:test it stalls grpc-js calls until their deadline.
    expect(await failure(p.recallMessage("sdk-recall", recalled.recallHandle!))).toContain(
      `code: ${Code.MESSAGE_NOT_FOUND}`,
    );
    expect(await failure(p.recallMessage("sdk-recall", "not a handle"))).toContain(
      `code: ${Code.BAD_REQUEST}`,
    );
    // Due after the recalled one: by the time it arrives, the recalled one would have been delivered too.
    const marker = await p.send({
      topic: "sdk-recall",
      deliveryTimestamp: new Date(at + 300),
      body: Buffer.from("marker"),
    });
    const [m] = await receiveN(consumer, 1, 5000);
    expect(m.messageId).toBe(marker.messageId);
    await consumer.ack(m);
    let stored = 0;
    for (let queueId = 0; queueId < 4; queueId++)
      stored += await stack.broker.broker.api.getMaxOffset("sdk-recall", queueId);
    expect(stored).toBe(1);
  }, 30_000);

  test("sends and receives with tag, keys and properties intact, then acks", async () => {
    const consumer = await simpleConsumer("sdk-basic-g", "sdk-basic");
    const p = await producer("sdk-basic");
    const sent = [];
    for (let i = 0; i < 3; i++)
      sent.push(
        await p.send({
          topic: "sdk-basic",
          tag: `tag-${i}`,
          keys: [`k${i}`, "shared"],
          properties: new Map([
            ["color", `c${i}`],
            ["unicode", "é✓"],
          ]),
          body: Buffer.from(`hello ${i}`),
        }),
      );
    const got = await receiveN(consumer, 3, 5000);
    expect(got.length).toBe(3);
    const byBody = new Map(got.map((m) => [m.body.toString(), m]));
    for (let i = 0; i < 3; i++) {
      const m = byBody.get(`hello ${i}`)!;
      expect(m).toBeDefined();
      expect(m.messageId).toBe(sent[i].messageId);
      expect(m.tag).toBe(`tag-${i}`);
      expect(m.keys.sort()).toEqual([`k${i}`, "shared"].sort());
      expect(m.properties.get("color")).toBe(`c${i}`);
      expect(m.properties.get("unicode")).toBe("é✓");
      expect(m.corrupted).not.toBe(true);
      expect(m.deliveryAttempt).toBe(1);
      expect(m.topic).toBe("sdk-basic");
    }
    for (const m of got) await consumer.ack(m);
    // Acked messages stay gone once their invisible time has run out.
    stack.advance(6000);
    expect(await stack.revive()).toBe(0);
  }, 30_000);

  test("a message not acked within its invisible time comes back with delivery attempt 2", async () => {
    const consumer = await simpleConsumer("sdk-redeliver-g", "sdk-redeliver");
    const p = await producer("sdk-redeliver");
    const { messageId } = await p.send({
      topic: "sdk-redeliver",
      tag: "again",
      body: Buffer.from("redeliver me"),
    });
    const [first] = await receiveN(consumer, 1, 1000);
    expect(first.messageId).toBe(messageId);
    expect(first.deliveryAttempt).toBe(1);
    stack.advance(1500);
    expect(await stack.revive()).toBe(1);
    const [second] = await receiveN(consumer, 1, 5000);
    expect(second.messageId).toBe(messageId);
    expect(second.deliveryAttempt).toBe(2);
    expect(second.tag).toBe("again");
    await consumer.ack(second);
  }, 30_000);

  test("a receipt handle from one proxy is acked through another", async () => {
    const consumer = await simpleConsumer("sdk-cross-g", "sdk-cross", 0);
    const p = await producer("sdk-cross", 0);
    const { messageId } = await p.send({ topic: "sdk-cross", body: Buffer.from("ack me elsewhere") });
    const [m] = await receiveN(consumer, 1, 1500);
    expect(m.messageId).toBe(messageId);

    const other = createClient(
      MessagingService,
      createGrpcTransport({ baseUrl: `http://${stack.grpcEndpoint(1)}` }),
    );
    const res = await other.ackMessage(
      create(AckMessageRequestSchema, {
        group: { name: "sdk-cross-g" },
        topic: { name: "sdk-cross" },
        entries: [{ messageId: m.messageId, receiptHandle: m.receiptHandle }],
      }),
    );
    expect(res.status?.code).toBe(Code.OK);
    expect(res.entries[0].status?.code).toBe(Code.OK);
    // Had the ack not landed, the message would come back once its 1.5 s are over.
    stack.advance(3000);
    expect(await stack.revive()).toBe(0);
  }, 30_000);

  test("FIFO messages of one group arrive in order, one at a time", async () => {
    const consumer = await simpleConsumer("sdk-fifo-g", "sdk-fifo");
    const p = await producer("sdk-fifo");
    for (let i = 0; i < 4; i++)
      await p.send({ topic: "sdk-fifo", messageGroup: "order-1", body: Buffer.from(`fifo ${i}`) });
    const order: string[] = [];
    while (order.length < 4) {
      const batch = await receiveN(consumer, 1, 5000);
      for (const m of batch) {
        expect(m.messageGroup).toBe("order-1");
        order.push(m.body.toString());
        await consumer.ack(m);
      }
    }
    expect(order).toEqual(["fifo 0", "fifo 1", "fifo 2", "fifo 3"]);
  }, 30_000);

  test("a transaction commits through EndTransaction, and an orphaned one through the server's check", async () => {
    const checked: string[] = [];
    const p = new Producer({
      endpoints: stack.grpcEndpoint(0),
      namespace: "",
      topics: ["sdk-tx", "sdk-orphan"],
      logger: sdkLogger,
      checker: {
        async check(view) {
          checked.push(view.messageId);
          // The committed transaction may be checked before its commit lands: commit is right for both.
          return TransactionResolution.COMMIT as never;
        },
      },
    });
    await p.startup();
    clients.push(p);
    const consumer = await simpleConsumer("sdk-tx-g", "sdk-tx");
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic: "sdk-tx", body: Buffer.from("in a transaction") }, tx);
    await tx.commit();
    const [m] = await receiveN(consumer, 1, 5000);
    expect(m.messageId).toBe(receipt.messageId);
    expect(m.body.toString()).toBe("in a transaction");
    await consumer.ack(m);

    // Never committed by the client: the broker asks, the proxy forwards over Telemetry, the SDK's checker commits.
    const orphanConsumer = await simpleConsumer("sdk-orphan-g", "sdk-orphan");
    const orphan = await p.send({ topic: "sdk-orphan", body: Buffer.from("orphan") }, p.beginTransaction());
    const [o] = await receiveN(orphanConsumer, 1, 5000, 15_000);
    expect(o.messageId).toBe(orphan.messageId);
    expect(checked).toContain(orphan.messageId);
    await orphanConsumer.ack(o);
  }, 30_000);

  test("a push consumer gets every message and acks it", async () => {
    const seen = new Set<string>();
    const push = new PushConsumer({
      endpoints: stack.grpcEndpoint(0),
      namespace: "",
      consumerGroup: "sdk-push-g",
      subscriptions: new Map([["sdk-push", "*"]]),
      messageListener: {
        consume(view) {
          seen.add(view.body.toString());
          return ConsumeResult.SUCCESS;
        },
      },
      logger: sdkLogger,
    });
    await push.startup();
    clients.push(push);
    const p = await producer("sdk-push");
    for (let i = 0; i < 5; i++)
      await p.send({ topic: "sdk-push", tag: "push", body: Buffer.from(`push ${i}`) });
    await waitFor("5 pushed messages", () => seen.size === 5, 15_000);
    expect([...seen].sort()).toEqual(["push 0", "push 1", "push 2", "push 3", "push 4"]);
  }, 30_000);
});
