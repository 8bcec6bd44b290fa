import { afterEach, describe, expect, test } from "bun:test";
import type { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { removeDir, startBroker, tempDir } from "../../tests/harness.ts";
import type { Broker } from "../index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function fifoBroker(dir = tempDir("bunmq-fifo-"), keepDir = false) {
  if (!keepDir) cleanups.push(() => removeDir(dir));
  const clock = { now: 1_700_000_000_000 };
  const running = await startBroker({
    dir,
    options: {
      clock: () => clock.now,
      reviveIntervalMs: 0,
      scheduleIntervalMs: 0,
      transactionCheckTimer: false,
    },
  });
  cleanups.push(() => running.close());
  await running.broker.api.createTopic({
    topic: "FifoT",
    readQueueNums: 1,
    writeQueueNums: 1,
    messageType: "FIFO",
  });
  return { broker: running.broker, clock, close: () => running.close() };
}

const pop = (b: Broker, maxMsgNums = 2, invisibleTimeMs = 30_000) =>
  b.api.pop({
    consumerGroup: "FG",
    topic: "FifoT",
    queueId: -1,
    maxMsgNums,
    invisibleTimeMs,
    initMode: "MIN",
    order: true,
  });

const bodies = (r: Awaited<ReturnType<typeof pop>>) => r.messages.map((m) => dec.decode(m.body));

describe("orderly (FIFO) pop", () => {
  test("a queue gives one batch at a time, in order; unacked messages come back first, from the queue itself", async () => {
    const { broker, clock } = await fifoBroker();
    for (const b of ["1", "2", "3", "4"]) await broker.api.send({ topic: "FifoT", body: enc.encode(b) });
    const first = await pop(broker);
    expect(bodies(first)).toEqual(["1", "2"]);
    expect(first.messages[0]!.receiptHandle.split(" ")[3]).toBe("999");
    expect((await pop(broker)).messages).toEqual([]); // blocked while the batch is in flight

    await broker.api.ack({
      consumerGroup: "FG",
      topic: "FifoT",
      receiptHandle: first.messages[0]!.receiptHandle,
    });
    expect((await pop(broker)).messages).toEqual([]); // still blocked: "2" is not acked
    clock.now += 30_000;
    const again = await pop(broker);
    expect(bodies(again)).toEqual(["2", "3"]);
    expect(again.messages.map((m) => m.reconsumeTimes)).toEqual([1, 0]);
    for (const m of again.messages)
      await broker.api.ack({ consumerGroup: "FG", topic: "FifoT", receiptHandle: m.receiptHandle });
    expect(bodies(await pop(broker))).toEqual(["4"]);
  });

  test("changeInvisibleTime extends the block; a message over retryMaxTimes goes to the DLQ", async () => {
    const { broker, clock } = await fifoBroker();
    await broker.api.createSubscriptionGroup({ groupName: "FG", retryMaxTimes: 1 });
    for (const b of ["a", "b"]) await broker.api.send({ topic: "FifoT", body: enc.encode(b) });
    const [m] = (await pop(broker, 1, 10_000)).messages;
    const changed = await broker.api.changeInvisibleTime({
      consumerGroup: "FG",
      topic: "FifoT",
      receiptHandle: m!.receiptHandle,
      invisibleTimeMs: 60_000,
    });
    clock.now += 30_000;
    expect((await pop(broker, 1)).messages).toEqual([]);
    clock.now += 31_000;
    expect(bodies(await pop(broker, 1, 10_000))).toEqual(["a"]); // second delivery
    clock.now += 10_000;
    expect(bodies(await pop(broker, 1, 10_000))).toEqual(["b"]); // "a" exceeded 1 retry: DLQ
    const dlq = await broker.api.pull({
      consumerGroup: "x",
      topic: "%DLQ%FG",
      queueId: 0,
      queueOffset: 0,
      maxMsgNums: 4,
    });
    expect(dlq.messages.map((d) => dec.decode(d.body))).toEqual(["a"]);
    try {
      await broker.api.changeInvisibleTime({
        consumerGroup: "FG",
        topic: "FifoT",
        receiptHandle: changed.receiptHandle,
        invisibleTimeMs: 5_000,
      });
      throw new Error("accepted a stale handle");
    } catch (err) {
      expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
    }
  });

  test("an unacked batch is popped again after a restart (the offset only moves on full ack)", async () => {
    const dir = tempDir("bunmq-fifo-restart-");
    cleanups.push(() => removeDir(dir));
    const first = await fifoBroker(dir, true);
    for (const b of ["x", "y"]) await first.broker.api.send({ topic: "FifoT", body: enc.encode(b) });
    const r = await pop(first.broker);
    await first.broker.api.ack({
      consumerGroup: "FG",
      topic: "FifoT",
      receiptHandle: r.messages[0]!.receiptHandle,
    });
    await first.close();
    const second = await fifoBroker(dir, true);
    expect(bodies(await pop(second.broker))).toEqual(["x", "y"]);
  });
});
