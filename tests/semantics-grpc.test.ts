import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { FilterExpression, Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import {
  Code,
  EndTransactionRequestSchema,
  FilterType,
  MessagingService,
  ReceiveMessageRequestSchema,
  SendMessageRequestSchema,
  TransactionResolution,
  TransactionSource,
} from "../proto/v2.ts";
import { type RestartableStack, startRestartableStack } from "./fixtures/semantics/grpc-stack.ts";
import {
  receiveAndAckInOrder,
  receiveN,
  startFailingPushConsumer,
  startSimpleConsumer,
} from "./fixtures/semantics/sdk-clients.ts";
import { waitFor } from "./harness.ts";
import { sdkLogger } from "./proxy-harness.ts";

/*
 * Issue 7 through the gRPC proxy with the official Node SDK (rocketmq-client-nodejs): delay/timer, FIFO,
 * transactions, retry and dead letters, filters; each again across a restart of broker + proxy on the same store
 * and port (Local mode: the proxy holds the in-process broker, so both restart together).
 */

let stack: RestartableStack;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  stack = await startRestartableStack({
    brokerConfig: {
      timerMaxDelaySec: 3600,
      transactionTimeOut: 1000,
      transactionCheckInterval: 300,
      transactionCheckMax: 5,
    },
  });
  const api = stack.broker.broker.api;
  for (const t of ["sem-delay", "sem-delay-r"]) await api.createTopic({ topic: t, messageType: "DELAY" });
  for (const t of ["sem-fifo", "sem-fifo-r", "sem-fifo-dlq"])
    await api.createTopic({ topic: t, messageType: "FIFO" });
  for (const g of ["sem-fifo-g", "sem-fifo-r-g"])
    await api.createSubscriptionGroup({ groupName: g, consumeMessageOrderly: true });
  await api.createSubscriptionGroup({
    groupName: "sem-fifo-dlq-g",
    consumeMessageOrderly: true,
    retryMaxTimes: 1,
  });
  for (const t of ["sem-tx", "sem-tx-r"]) await api.createTopic({ topic: t, messageType: "TRANSACTION" });
  for (const t of ["sem-retry", "sem-retry-cid", "sem-retry-push", "sem-retry-r", "sem-filter", "sem-batch"])
    await api.createTopic({ topic: t });
  for (const g of ["sem-retry-g", "sem-retry-push-g"])
    await api.createSubscriptionGroup({ groupName: g, retryMaxTimes: 2 });
});

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await stack.close();
});

async function producer(topics: string[]) {
  const p = new Producer({ endpoints: stack.endpoint, namespace: "", topics, logger: sdkLogger });
  await p.startup();
  clients.push(p);
  return p;
}

async function simpleConsumer(group: string, topic: string, expression: unknown = "*") {
  const c = await startSimpleConsumer(stack.endpoint, group, topic, expression);
  clients.push(c);
  return c;
}

const sql = (expression: string) => new FilterExpression(expression, FilterType.SQL as never);

/** What the broker holds in `topic` queue 0 (a DLQ, the transaction give-up topic), read with a pull. */
async function stored(topic: string) {
  const api = stack.broker.broker.api;
  if (!(await api.getTopicConfig(topic))) return [];
  const r = await api.pull({
    consumerGroup: "sem-inspector",
    topic,
    queueId: 0,
    queueOffset: 0,
    maxMsgNums: 32,
  });
  return r.messages;
}
/**
 * Right after a restart grpc-js may still be reconnecting its channel (UNAVAILABLE); a client retries. The
 * server's answer, once reached, is what the tests check.
 */
async function whenReconnected<T>(call: () => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  await waitFor(
    "the channel to reconnect",
    async () => {
      try {
        result = { value: await call() };
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 14) return false;
        throw err;
      }
    },
    10_000,
    200,
  );
  return result!.value;
}
const bodyOf = (m: { body: Uint8Array }) => Buffer.from(m.body).toString();

/** The messages dead-lettered for `group`, once there are any. */
function waitForDlq(group: string) {
  return waitFor(
    "the DLQ",
    async () => {
      const ms = await stored(`%DLQ%${group}`);
      return ms.length > 0 ? ms : undefined;
    },
    20_000,
  );
}

describe("delay and timer messages (gRPC delivery_timestamp)", () => {
  test("a delayed message arrives no earlier than its time and within 1 s after it", async () => {
    const consumer = await simpleConsumer("sem-delay-g", "sem-delay");
    const p = await producer(["sem-delay"]);
    const at = Date.now() + 1500;
    const { messageId } = await p.send({
      topic: "sem-delay",
      deliveryTimestamp: new Date(at),
      body: Buffer.from("later"),
    });
    const [{ m, at: arrived }] = await receiveN(consumer, 1, 5000);
    expect(m.messageId).toBe(messageId);
    expect(arrived).toBeGreaterThanOrEqual(at);
    expect(arrived - at).toBeLessThanOrEqual(1000);
    await consumer.ack(m);
  }, 20_000);

  test("a delivery time beyond the broker's timerMaxDelaySec is refused with a clear error", async () => {
    const p = await producer(["sem-delay"]);
    const err = await p
      .send({
        topic: "sem-delay",
        deliveryTimestamp: new Date(Date.now() + 2 * 3600_000),
        body: Buffer.from("x"),
      })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(/maximum delay/);
    // beyond the proxy's own limit (maxDelayTimeMills, 1 day)
    const far = await p
      .send({
        topic: "sem-delay",
        deliveryTimestamp: new Date(Date.now() + 3 * 86400_000),
        body: Buffer.from("x"),
      })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(far?.message).toMatch(/delivery_timestamp/);
  }, 20_000);

  test("a delayed message survives a restart of broker and proxy and still arrives on time", async () => {
    const p = await producer(["sem-delay-r"]);
    const consumer = await simpleConsumer("sem-delay-r-g", "sem-delay-r");
    const at = Date.now() + 2500;
    const { messageId } = await p.send({
      topic: "sem-delay-r",
      deliveryTimestamp: new Date(at),
      body: Buffer.from("across restart"),
    });
    await stack.restart();
    const [{ m, at: arrived }] = await receiveN(consumer, 1, 5000, 15_000);
    expect(m.messageId).toBe(messageId);
    expect(arrived).toBeGreaterThanOrEqual(at);
    expect(arrived - at).toBeLessThanOrEqual(1000);
    await consumer.ack(m);
  }, 30_000);
});

describe("FIFO (gRPC message group -> queue, orderly consumer group)", () => {
  test("two consumers get each group's messages in order, the next one only after the previous is acked or its invisible time ran out", async () => {
    const p = await producer(["sem-fifo"]);
    const c1 = await simpleConsumer("sem-fifo-g", "sem-fifo");
    const c2 = await simpleConsumer("sem-fifo-g", "sem-fifo");
    for (let i = 0; i < 5; i++)
      for (const g of ["A", "B"])
        await p.send({ topic: "sem-fifo", messageGroup: g, body: Buffer.from(`${g}${i}`) });

    const processed: string[] = [];
    // c1 takes the first message of its queue and never acks it: nothing more of that group is handed out until
    // its invisible time (2 s) has run out; then it comes back first, with delivery attempt 2
    const held = await waitFor(
      "the first FIFO message",
      async () => (await c1.receive(1, 2000))[0],
      10_000,
      0,
    );
    await waitFor(
      "the held message to come back",
      async () => {
        for (const m of await c2.receive(16, 3000)) {
          // the first of the held group to come back is the held message itself
          if (m.messageGroup === held.messageGroup && !processed.includes(held.body.toString())) {
            expect(m.messageId).toBe(held.messageId);
            expect(m.deliveryAttempt).toBe(2);
          }
          processed.push(m.body.toString());
          await c2.ack(m);
        }
        return processed.includes(held.body.toString());
      },
      10_000,
      0,
    );
    await waitFor(
      "every FIFO message",
      async () => {
        for (const c of [c1, c2]) {
          for (const m of await c.receive(16, 3000)) {
            processed.push(m.body.toString());
            await c.ack(m);
          }
        }
        return processed.length >= 10;
      },
      20_000,
      0,
    );
    for (const g of ["A", "B"])
      expect(processed.filter((b) => b.startsWith(g))).toEqual([0, 1, 2, 3, 4].map((i) => `${g}${i}`));
  }, 40_000);

  test("an unacked FIFO message survives a restart and comes first again, the rest in order after it", async () => {
    const p = await producer(["sem-fifo-r"]);
    const c = await simpleConsumer("sem-fifo-r-g", "sem-fifo-r");
    for (let i = 0; i < 4; i++)
      await p.send({ topic: "sem-fifo-r", messageGroup: "G", body: Buffer.from(`G${i}`) });
    const [first] = await receiveN(c, 1, 2000);
    expect(first.m.body.toString()).toBe("G0");
    await stack.restart();
    const order = await receiveAndAckInOrder(c, 4, "the group after the restart", 20_000);
    expect(order).toEqual(["G0", "G1", "G2", "G3"]);
  }, 40_000);
});

describe("transactions (half messages, EndTransaction, Telemetry check-back)", () => {
  test("commit is delivered, rollback never; unknown ones are resolved by the check-back; unanswered ones give up after transactionCheckMax", async () => {
    const checks: string[] = [];
    const answers: Record<string, number> = {
      "unknown-commit": TransactionResolution.COMMIT,
      "unknown-rollback": TransactionResolution.ROLLBACK,
      "never-answered": TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED,
    };
    const p = new Producer({
      endpoints: stack.endpoint,
      namespace: "",
      topics: ["sem-tx"],
      logger: sdkLogger,
      checker: {
        async check(view) {
          const body = view.body.toString();
          checks.push(body);
          return (answers[body] ?? TransactionResolution.COMMIT) as never;
        },
      },
    });
    await p.startup();
    clients.push(p);
    const consumer = await simpleConsumer("sem-tx-g", "sem-tx");
    const send = (body: string, tx = p.beginTransaction()) =>
      p.send({ topic: "sem-tx", body: Buffer.from(body) }, tx).then(() => tx);

    await (await send("commit-me")).commit();
    await (await send("rollback-me")).rollback();
    await send("unknown-commit");
    await send("unknown-rollback");
    await send("never-answered");
    await waitFor(
      "the check-backs",
      () => checks.includes("unknown-commit") && checks.includes("unknown-rollback"),
    );
    await waitFor(
      "the unanswered half message to be given up",
      async () => (await stored("TRANS_CHECK_MAX_TIME_TOPIC")).some((m) => bodyOf(m) === "never-answered"),
      15_000,
    );
    // checked exactly transactionCheckMax times (5), then given up
    expect(checks.filter((b) => b === "never-answered").length).toBe(5);
    await (await send("marker")).commit();
    const got = await receiveN(consumer, 3, 5000);
    const late = await consumer.receive(16, 5000);
    const bodies = [...got.map((g) => g.m), ...late].map((m) => m.body.toString()).sort();
    expect(bodies).toEqual(["commit-me", "marker", "unknown-commit"]);
  }, 40_000);

  test("half messages survive a restart: one is committed by its client afterwards, one resolved by the check-back", async () => {
    let restarted = false;
    const checked: string[] = [];
    const p = new Producer({
      endpoints: stack.endpoint,
      namespace: "",
      topics: ["sem-tx-r"],
      logger: sdkLogger,
      checker: {
        async check(view) {
          const body = view.body.toString();
          checked.push(body);
          // only the broker that came back may resolve it
          if (!restarted || body !== "checked-after-restart")
            return TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED as never;
          return TransactionResolution.COMMIT as never;
        },
      },
    });
    await p.startup();
    clients.push(p);
    const consumer = await simpleConsumer("sem-tx-r-g", "sem-tx-r");
    const txA = p.beginTransaction();
    await p.send({ topic: "sem-tx-r", body: Buffer.from("committed-after-restart") }, txA);
    await p.send({ topic: "sem-tx-r", body: Buffer.from("checked-after-restart") }, p.beginTransaction());
    const txC = p.beginTransaction();
    await p.send({ topic: "sem-tx-r", body: Buffer.from("rolled-back-after-restart") }, txC);
    await stack.restart();
    restarted = true;
    await whenReconnected(() => txA.commit());
    await whenReconnected(() => txC.rollback());
    const got = await receiveN(consumer, 2, 5000, 20_000);
    expect(got.map((g) => g.m.body.toString()).sort()).toEqual([
      "checked-after-restart",
      "committed-after-restart",
    ]);
    expect(checked).toContain("checked-after-restart");
    expect(await consumer.receive(16, 5000)).toEqual([]);
  }, 40_000);

  test("EndTransaction for an unknown transaction is refused with a clear status and stores nothing", async () => {
    const client = createClient(
      MessagingService,
      createGrpcTransport({ baseUrl: `http://${stack.endpoint}` }),
    );
    const api = stack.broker.broker.api;
    const stored = async () => {
      let n = 0;
      for (let q = 0; q < 4; q++) n += await api.getMaxOffset("sem-tx", q);
      return n;
    };
    const before = await stored();
    const res = await client.endTransaction(
      create(EndTransactionRequestSchema, {
        topic: { name: "sem-tx" },
        messageId: "01AABBCCDDEEFF00112233445566778899",
        transactionId: "no-such-transaction",
        resolution: TransactionResolution.COMMIT,
        source: TransactionSource.SOURCE_CLIENT,
      }),
      { headers: { "x-mq-client-id": "sem-bad-end-tx" } },
    );
    expect(res.status?.code).toBe(Code.INVALID_TRANSACTION_ID);
    expect(res.status?.message).toBe("malformed transaction id");
    // well formed (broker name + CommitLog offset + queue offset), but no half message is there
    const brokerName = stack.broker.broker.identity().brokerName;
    const unknown = await client.endTransaction(
      create(EndTransactionRequestSchema, {
        topic: { name: "sem-tx" },
        messageId: "01AABBCCDDEEFF00112233445566778899",
        transactionId: `${brokerName} 0:0:01AABBCCDDEEFF00112233445566778899`,
        resolution: TransactionResolution.COMMIT,
        source: TransactionSource.SOURCE_CLIENT,
      }),
      { headers: { "x-mq-client-id": "sem-bad-end-tx" } },
    );
    expect(unknown.status?.code).not.toBe(Code.OK);
    expect(unknown.status?.message).toContain("Find prepared transaction message failed");
    expect(await stored()).toBe(before);
  });
});

describe("retry and dead letters", () => {
  test("an unacked message comes back with delivery attempt 2, 3 after its invisible time, then goes to %DLQ%group", async () => {
    const p = await producer(["sem-retry"]);
    const c = await simpleConsumer("sem-retry-g", "sem-retry");
    const { messageId } = await p.send({ topic: "sem-retry", body: Buffer.from("never acked") });
    const attempts: number[] = [];
    let poppedAfter = 0;
    for (let i = 0; i < 3; i++) {
      const [{ m, at, asked }] = await receiveN(c, 1, 1000);
      expect(m.messageId).toBe(messageId);
      // not back before the invisible time of the previous delivery (popped after `asked`) has run out
      if (i > 0) expect(at).toBeGreaterThanOrEqual(poppedAfter + 1000);
      poppedAfter = asked;
      attempts.push(m.deliveryAttempt ?? 0);
    }
    expect(attempts).toEqual([1, 2, 3]);
    const dlq = await waitFor("the DLQ", async () => {
      const ms = await stored("%DLQ%sem-retry-g");
      return ms.length > 0 ? ms : undefined;
    });
    expect(dlq.map(bodyOf)).toEqual(["never acked"]);
    expect(dlq[0].properties.DLQ_ORIGIN_TOPIC).toBe("sem-retry");
    expect(dlq[0].properties.DLQ_ORIGIN_MESSAGE_ID).toBe(messageId);
    expect(await c.receive(16, 1000)).toEqual([]);
  }, 30_000);

  test("ChangeInvisibleDuration brings a message back before its first invisible time ends", async () => {
    const p = await producer(["sem-retry-cid"]);
    const c = await simpleConsumer("sem-retry-cid-g", "sem-retry-cid");
    const { messageId } = await p.send({ topic: "sem-retry-cid", body: Buffer.from("sooner") });
    const [{ m, at }] = await receiveN(c, 1, 30_000);
    expect(m.messageId).toBe(messageId);
    await c.changeInvisibleDuration(m, 1000);
    const [again] = await receiveN(c, 1, 5000);
    expect(again.m.messageId).toBe(messageId);
    expect(again.m.deliveryAttempt).toBe(2);
    expect(again.at - at).toBeLessThan(30_000);
    await c.ack(again.m);
  }, 30_000);

  test("a push consumer that fails a message retries it with the backoff the proxy announces, then it is dead-lettered", async () => {
    const attempts: number[] = [];
    const push = await startFailingPushConsumer(
      stack.endpoint,
      "sem-retry-push-g",
      "sem-retry-push",
      attempts,
    );
    clients.push(push);
    // the Settings reply: max attempts = the group's retryMaxTimes + 1
    await waitFor("the push consumer's settings", () => push.getRetryPolicy()?.getMaxAttempts() === 3);
    const p = await producer(["sem-retry-push"]);
    await p.send({ topic: "sem-retry-push", body: Buffer.from("fails") });
    const dlq = await waitForDlq("sem-retry-push-g");
    expect(dlq.map(bodyOf)).toEqual(["fails"]);
    expect(attempts).toEqual([1, 2, 3]);
  }, 30_000);

  test("a FIFO push consumer forwards a message it keeps failing to %DLQ%group (ForwardMessageToDeadLetterQueue)", async () => {
    const attempts: number[] = [];
    const push = await startFailingPushConsumer(stack.endpoint, "sem-fifo-dlq-g", "sem-fifo-dlq", attempts);
    clients.push(push);
    const p = await producer(["sem-fifo-dlq"]);
    await p.send({ topic: "sem-fifo-dlq", messageGroup: "F", body: Buffer.from("forward me") });
    const dlq = await waitForDlq("sem-fifo-dlq-g");
    expect(dlq.map(bodyOf)).toEqual(["forward me"]);
    expect(dlq[0].properties.DLQ_ORIGIN_TOPIC).toBe("sem-fifo-dlq");
    expect(attempts).toEqual([1, 2]);
  }, 30_000);

  test("unacked messages survive a restart: an old handle still acks, the other comes back with attempt 2", async () => {
    const p = await producer(["sem-retry-r"]);
    const c = await simpleConsumer("sem-retry-r-g", "sem-retry-r");
    await p.send({ topic: "sem-retry-r", body: Buffer.from("acked after restart") });
    await p.send({ topic: "sem-retry-r", body: Buffer.from("redelivered after restart") });
    const got = await receiveN(c, 2, 3000);
    await stack.restart();
    const ackMe = got.find((g) => g.m.body.toString() === "acked after restart")!.m;
    await whenReconnected(() => c.ack(ackMe));
    const [again] = await receiveN(c, 1, 5000, 15_000);
    expect(again.m.body.toString()).toBe("redelivered after restart");
    expect(again.m.deliveryAttempt).toBe(2);
    await c.ack(again.m);
    expect(await c.receive(16, 1000)).toEqual([]);
  }, 30_000);
});

describe("filters evaluated on the broker", () => {
  const sendFilterSet = async (prefix: string) => {
    const p = await producer(["sem-filter"]);
    const sent: { body: string; tag: string; color: string; n: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const m = { body: `${prefix}${i}`, tag: ["A", "B", "C"][i % 3], color: i % 2 ? "red" : "blue", n: i };
      sent.push(m);
      await p.send({
        topic: "sem-filter",
        tag: m.tag,
        properties: new Map([
          ["color", m.color],
          ["n", String(m.n)],
        ]),
        body: Buffer.from(m.body),
      });
    }
    return sent;
  };
  const drain = async (c: SimpleConsumer, n: number) => {
    const got = await receiveN(c, n, 5000);
    got.push(...(await c.receive(16, 5000)).map((m) => ({ m, at: 0, asked: 0 })));
    for (const g of got) await c.ack(g.m);
    return got.map((g) => g.m.body.toString()).sort();
  };

  test("a tag expression (A || B) and an SQL92 expression deliver exactly the matching messages", async () => {
    const sent = await sendFilterSet("f");
    const tags = await simpleConsumer("sem-filter-tag-g", "sem-filter", "A || B");
    const query = await simpleConsumer("sem-filter-sql-g", "sem-filter", sql("color = 'red' AND n > 4"));
    const wantTags = sent
      .filter((m) => m.tag !== "C")
      .map((m) => m.body)
      .sort();
    const wantSql = sent
      .filter((m) => m.color === "red" && m.n > 4)
      .map((m) => m.body)
      .sort();
    expect(await drain(tags, wantTags.length)).toEqual(wantTags);
    expect(await drain(query, wantSql.length)).toEqual(wantSql);
  }, 30_000);

  test("filters still select exactly the matching messages after a restart", async () => {
    const sent = await sendFilterSet("r");
    await stack.restart();
    const query = await simpleConsumer(
      "sem-filter-sql-r-g",
      "sem-filter",
      sql("n BETWEEN 3 AND 6 OR color = 'none'"),
    );
    const want = sent.filter((m) => m.n >= 3 && m.n <= 6).map((m) => m.body);
    // the group is new, so it starts at the queue's start and sees the earlier set too
    const got = await drain(query, 8);
    expect(got).toEqual([...want, ...want.map((b) => `f${b.slice(1)}`)].sort());
  }, 30_000);

  test("a receive with an illegal SQL92 expression is refused with an error naming the problem", async () => {
    // The SDK can no longer start with a bad filter (refused at subscribe time, below), so a raw client that
    // skips Telemetry asks ReceiveMessage directly, as a browser would.
    const client = createClient(
      MessagingService,
      createGrpcTransport({ baseUrl: `http://${stack.endpoint}` }),
    );
    const statuses: { code: Code; message: string }[] = [];
    for await (const part of client.receiveMessage(
      create(ReceiveMessageRequestSchema, {
        group: { name: "sem-filter-bad-recv-g" },
        messageQueue: { topic: { name: "sem-filter" }, id: 0 },
        filterExpression: { type: FilterType.SQL, expression: "color = " },
        batchSize: 16,
        invisibleDuration: { seconds: 10n },
        longPollingTimeout: { seconds: 1n },
      }),
    )) {
      if (part.content.case === "status") statuses.push(part.content.value);
    }
    expect(statuses[0]?.code).toBe(Code.ILLEGAL_FILTER_EXPRESSION);
    expect(statuses[0]?.message).toMatch(/SQL92 parse error at \d+: expected a value after/);
  }, 20_000);

  test("an illegal SQL92 expression is refused at subscribe time with an error naming the problem", async () => {
    const c = new SimpleConsumer({
      endpoints: stack.endpoint,
      namespace: "",
      consumerGroup: "sem-filter-bad-g",
      subscriptions: new Map([["sem-filter", sql("color = ") as never]]),
      awaitDuration: 1000,
      logger: sdkLogger,
    });
    clients.push(c);
    const err = await c.startup().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/SQL92 parse error/);
  }, 20_000);
});

describe("batch send", () => {
  test("one SendMessage with several messages stores each of them", async () => {
    const client = createClient(
      MessagingService,
      createGrpcTransport({ baseUrl: `http://${stack.endpoint}` }),
    );
    const ids = [
      "01000000000000000000000000000000B1",
      "01000000000000000000000000000000B2",
      "01000000000000000000000000000000B3",
    ];
    const res = await client.sendMessage(
      create(SendMessageRequestSchema, {
        messages: ids.map((messageId, i) => ({
          topic: { name: "sem-batch" },
          systemProperties: { messageId, tag: "batch", bodyEncoding: 1, messageType: 1, queueId: 0 },
          body: Buffer.from(`batch ${i}`),
        })),
      }),
      { headers: { "x-mq-client-id": "sem-batch-client" } },
    );
    expect(res.status?.code).toBe(Code.OK);
    expect(res.entries.map((e) => e.messageId)).toEqual(ids);
    const c = await simpleConsumer("sem-batch-g", "sem-batch");
    const got = await receiveN(c, 3, 5000);
    expect(got.map((g) => g.m.messageId).sort()).toEqual(ids);
  }, 20_000);
});
