import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRemotingClient, createRequest } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  type AliOnsProcess,
  assignedQueues,
  produceWithAliOns,
  spawnAliOnsConsumer,
} from "./fixtures/semantics/ali-ons.ts";
import { createJavaLikeClient, type JavaLikeClient } from "./fixtures/semantics/java-remoting-client.ts";
import {
  closeBrokerAndNameServer,
  createTopicOverRemoting,
  type RunningBroker,
  type RunningNameServer,
  reopenBroker,
  startBroker,
  startNameServer,
  waitFor,
} from "./harness.ts";

/*
 * Consumption semantics on the remoting path: orderly consumers locking queues (LOCK_BATCH_MQ) and pulling in
 * order, retry through CONSUMER_SEND_MSG_BACK with delay levels and maxReconsumeTimes then %DLQ%group, broadcast
 * consumption and batch send; orderly and retry again across a broker restart. ali-ons 3.12 has push consumers
 * (clustering and broadcast) but no orderly consumer and no batch send, so those two are driven by our remoting
 * client speaking what a Java DefaultMQPushConsumer (MessageListenerOrderly) / DefaultMQProducer sends.
 */

let ns: RunningNameServer;
let broker: RunningBroker;
const admin = createRemotingClient();
const children: AliOnsProcess[] = [];
const javaClients: JavaLikeClient[] = [];
// one-second levels so send-back retries come back quickly (delay level 3 + reconsumeTimes, capped at level 4)
const brokerConfig = { messageDelayLevel: "1s 1s 1s 1s" };
const dec = new TextDecoder();

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({ namesrvAddr: ns.addr, config: brokerConfig });
  for (const [topic, queues] of [
    ["SemOrder", 4],
    ["SemOrderR", 2],
    ["SemRetry", 1],
    ["SemRetryR", 1],
    ["SemBroadcast", 2],
    ["SemBatch", 1],
  ] as const)
    await createTopicOverRemoting(admin, broker.addr, topic, queues, ns.addr);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  for (const c of javaClients) c.close();
  admin.close();
  await closeBrokerAndNameServer(broker, ns);
});

async function restartBroker() {
  broker = await reopenBroker(broker, { namesrvAddr: ns.addr, config: brokerConfig });
}

function aliOnsConsumer(group: string, topic: string, extra: Record<string, unknown> = {}) {
  const c = spawnAliOnsConsumer(ns.addr, group, topic, extra);
  children.push(c);
  return c;
}

function javaClient(id: string) {
  const c = createJavaLikeClient(id);
  javaClients.push(c);
  return c;
}

/**
 * One round of a Java orderly consumer on the queues it holds locks on: pull each queue from its committed
 * offset, "process" in order, commit the offset. Returns the bodies processed.
 */
async function consumeOrderly(c: JavaLikeClient, group: string, topic: string, queueIds: number[]) {
  const processed: string[] = [];
  for (const queueId of queueIds) {
    const offset = Math.max(0, await c.queryOffset(broker.addr, group, topic, queueId));
    const r = await c.pull(broker.addr, { group, topic, queueId, queueOffset: offset, maxMsgNums: 32 });
    if (r.messages.length === 0) continue;
    processed.push(...r.messages.map((m) => dec.decode(m.body)));
    await c.updateOffset(broker.addr, group, topic, queueId, r.nextBeginOffset);
  }
  return processed;
}

/** Orders k = 0..orders-1, steps 0..steps-1 each, order k on queue k % queues (a MessageQueueSelector by order id). */
async function sendOrders(
  p: JavaLikeClient,
  topic: string,
  queues: number,
  orders: number,
  steps: number,
  from = 0,
) {
  for (let step = from; step < from + steps; step++)
    for (let k = 0; k < orders; k++)
      await p.send(broker.addr, {
        producerGroup: "SemOrderPG",
        topic,
        queueId: k % queues,
        body: `o${k}-s${step}`,
      });
}

/** Each order's steps in the order they were processed, from a log of bodies. */
function stepsByOrder(log: string[]) {
  const out = new Map<string, number[]>();
  for (const b of log) {
    const [, k, s] = /^o(\d+)-s(\d+)$/.exec(b)!;
    out.set(`o${k}`, [...(out.get(`o${k}`) ?? []), Number(s)]);
  }
  return out;
}

describe("orderly consumption (LOCK_BATCH_MQ, Java MessageListenerOrderly requests)", () => {
  test("two orderly consumers lock disjoint queues and consume every order in sequence; a released queue moves over", async () => {
    const group = "SemOrderG";
    const p = javaClient("sem-order-producer@1");
    const c1 = javaClient("sem-order-c1@1");
    const c2 = javaClient("sem-order-c2@1");
    for (const c of [c1, c2]) await c.heartbeat(broker.addr, { consumers: [{ group, topic: "SemOrder" }] });
    const brokerName = broker.broker.identity().brokerName;
    // rebalance (averagely, sorted client ids) gives c1 queues 0,1 and c2 queues 2,3; each locks its own
    expect(await c1.lockBatch(broker.addr, group, brokerName, "SemOrder", [0, 1])).toEqual([0, 1]);
    expect(await c2.lockBatch(broker.addr, group, brokerName, "SemOrder", [2, 3])).toEqual([2, 3]);
    // a queue locked by one member is not handed to another
    expect(await c2.lockBatch(broker.addr, group, brokerName, "SemOrder", [0, 1, 2])).toEqual([2]);

    await sendOrders(p, "SemOrder", 4, 8, 3);
    const log: string[] = [];
    log.push(...(await consumeOrderly(c1, group, "SemOrder", [0, 1])));
    log.push(...(await consumeOrderly(c2, group, "SemOrder", [2, 3])));
    // c1 shuts down as a Java consumer does: UNLOCK_BATCH_MQ, then c2 takes its queues over
    const unlock = await admin.invoke(
      broker.addr,
      createRequest(
        RequestCode.UNLOCK_BATCH_MQ,
        {},
        new TextEncoder().encode(
          JSON.stringify({
            consumerGroup: group,
            clientId: c1.clientId,
            mqSet: [0, 1].map((queueId) => ({ topic: "SemOrder", brokerName, queueId })),
          }),
        ),
      ),
    );
    expect(unlock.code).toBe(ResponseCode.SUCCESS);
    expect(await c2.lockBatch(broker.addr, group, brokerName, "SemOrder", [0, 1, 2, 3])).toEqual([
      0, 1, 2, 3,
    ]);
    await sendOrders(p, "SemOrder", 4, 8, 2, 3);
    log.push(...(await consumeOrderly(c2, group, "SemOrder", [0, 1, 2, 3])));

    const byOrder = stepsByOrder(log);
    expect(byOrder.size).toBe(8);
    for (const steps of byOrder.values()) expect(steps).toEqual([0, 1, 2, 3, 4]);
  }, 20_000);

  test("after a broker restart the orderly consumer locks its queues again and resumes each order where it stopped", async () => {
    const group = "SemOrderRG";
    const p = javaClient("sem-order-r-producer@1");
    const c = javaClient("sem-order-r-c@1");
    const brokerName = broker.broker.identity().brokerName;
    await c.heartbeat(broker.addr, { consumers: [{ group, topic: "SemOrderR" }] });
    expect(await c.lockBatch(broker.addr, group, brokerName, "SemOrderR", [0, 1])).toEqual([0, 1]);
    await sendOrders(p, "SemOrderR", 2, 4, 2);
    const log = await consumeOrderly(c, group, "SemOrderR", [0, 1]);
    await sendOrders(p, "SemOrderR", 2, 4, 2, 2);
    await restartBroker();
    // locks are leases in memory: the consumer takes them again, offsets and messages were kept
    await c.heartbeat(broker.addr, { consumers: [{ group, topic: "SemOrderR" }] });
    expect(await c.lockBatch(broker.addr, group, brokerName, "SemOrderR", [0, 1])).toEqual([0, 1]);
    log.push(...(await consumeOrderly(c, group, "SemOrderR", [0, 1])));
    const byOrder = stepsByOrder(log);
    expect(byOrder.size).toBe(4);
    for (const steps of byOrder.values()) expect(steps).toEqual([0, 1, 2, 3]);
  }, 20_000);
});

describe("retry and dead letters (ali-ons push consumer, CONSUMER_SEND_MSG_BACK)", () => {
  test("a failed message is sent back, redelivered after its delay level with reconsumeTimes + 1, then dead-lettered past maxReconsumeTimes", async () => {
    const c = aliOnsConsumer("SemRetryG", "SemRetry", { failBodies: ["fail"], maxReconsumeTimes: 2 });
    await waitFor("the consumer to own the queue", () => assignedQueues(c).length === 1, 30_000);
    await produceWithAliOns(ns.addr, [
      { topic: "SemRetry", body: "fail" },
      { topic: "SemRetry", body: "ok" },
    ]);
    await waitFor(
      "three deliveries of the failing message",
      () => c.of("msg").filter((m) => m.body === "fail").length >= 3,
      20_000,
    );
    const deliveries = c.of("msg").filter((m) => m.body === "fail");
    expect(deliveries.map((m) => m.reconsumeTimes)).toEqual([0, 1, 2]);
    // each retry waited for its delay level (1 s) after the failed attempt
    for (let i = 1; i < deliveries.length; i++)
      expect(deliveries[i]!.at - deliveries[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    const dlq = await waitFor("the DLQ", async () => {
      const t = await broker.broker.api.getTopicConfig("%DLQ%SemRetryG");
      if (!t) return undefined;
      const r = await broker.broker.api.pull({
        consumerGroup: "sem-inspector",
        topic: "%DLQ%SemRetryG",
        queueId: 0,
        queueOffset: 0,
        maxMsgNums: 8,
      });
      return r.messages.length > 0 ? r.messages : undefined;
    });
    expect(dlq.map((m) => dec.decode(m.body))).toEqual(["fail"]);
    expect(dlq[0]!.properties.RETRY_TOPIC).toBe("SemRetry");
    expect(c.of("msg").filter((m) => m.body === "ok").length).toBe(1);
  }, 40_000);

  test("a message waiting for its retry survives a broker restart and is still redelivered, then dead-lettered", async () => {
    const c = aliOnsConsumer("SemRetryRG", "SemRetryR", { failBodies: ["fail"], maxReconsumeTimes: 1 });
    await waitFor("the consumer to own the queue", () => assignedQueues(c).length === 1, 30_000);
    // delay level 3 + reconsumeTimes 0 = 3: the retry waits in SCHEDULE_TOPIC_XXXX queue 2
    const scheduled = await broker.broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 2);
    await produceWithAliOns(ns.addr, [{ topic: "SemRetryR", body: "fail" }]);
    await waitFor(
      "the send-back",
      async () => (await broker.broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 2)) > scheduled,
      15_000,
    );
    await restartBroker();
    await waitFor(
      "the redelivery after the restart",
      () => c.of("msg").filter((m) => m.body === "fail").length >= 2,
      20_000,
    );
    expect(
      c
        .of("msg")
        .filter((m) => m.body === "fail")
        .map((m) => m.reconsumeTimes),
    ).toEqual([0, 1]);
    await waitFor("the DLQ", async () => {
      if (!(await broker.broker.api.getTopicConfig("%DLQ%SemRetryRG"))) return false;
      return (await broker.broker.api.getMaxOffset("%DLQ%SemRetryRG", 0)) === 1;
    });
  }, 40_000);
});

describe("broadcast consumption and batch send", () => {
  test("every broadcast consumer of a group gets every message", async () => {
    const a = aliOnsConsumer("SemBroadcastG", "SemBroadcast", { isBroadcast: true, instanceName: "bc-a" });
    const b = aliOnsConsumer("SemBroadcastG", "SemBroadcast", { isBroadcast: true, instanceName: "bc-b" });
    for (const c of [a, b]) await waitFor("all queues", () => assignedQueues(c).length === 2, 30_000);
    const bodies = Array.from({ length: 10 }, (_, i) => `bc${i}`);
    await produceWithAliOns(
      ns.addr,
      bodies.map((body) => ({ topic: "SemBroadcast", body })),
    );
    for (const c of [a, b]) {
      await waitFor("every message", () => c.of("msg").length >= 10, 15_000);
      expect(
        c
          .of("msg")
          .map((m) => m.body as string)
          .sort(),
      ).toEqual([...bodies].sort());
    }
  }, 40_000);

  test("a SEND_BATCH_MESSAGE (Java DefaultMQProducer batch) is stored contiguously and consumed by ali-ons in order", async () => {
    const c = aliOnsConsumer("SemBatchG", "SemBatch");
    await waitFor("the consumer to own the queue", () => assignedQueues(c).length === 1, 30_000);
    const p = javaClient("sem-batch-producer@1");
    const bodies = Array.from({ length: 5 }, (_, i) => `batch${i}`);
    const r = await p.sendBatch(broker.addr, {
      producerGroup: "SemBatchPG",
      topic: "SemBatch",
      queueId: 0,
      bodies,
      tag: "B",
    });
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(String(r.extFields.msgId).split(",").length).toBe(5);
    await waitFor("the batch", () => c.of("msg").length >= 5, 15_000);
    expect(c.of("msg").map((m) => m.body)).toEqual(bodies);
    expect(c.of("msg").map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(c.of("msg").every((m) => m.tags === "B")).toBe(true);
  }, 30_000);
});
