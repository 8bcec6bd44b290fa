import { afterEach, describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { removeDir, startBroker, tempDir } from "../../tests/harness.ts";
import type { Broker } from "../index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A broker with a hand-driven clock and no revive timer: tests call broker.revive(). */
async function brokerWithClock(given?: string) {
  const dir = given ?? tempDir("bunmq-pop-");
  if (!given) cleanups.push(() => removeDir(dir));
  const clock = { now: 1_700_000_000_000 };
  const running = await startBroker({
    dir,
    options: { clock: () => clock.now, reviveIntervalMs: 0, scheduleIntervalMs: 0 },
  });
  cleanups.push(() => running.close());
  return { broker: running.broker, clock, dir };
}

async function sendBodies(broker: Broker, topic: string, bodies: string[], tags = "A") {
  for (const b of bodies) await broker.api.send({ topic, body: enc.encode(b), properties: { TAGS: tags } });
}

async function expectCode(p: Promise<unknown>, code: number) {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(code);
    return;
  }
  throw new Error(`expected MqError ${code}`);
}

const pop = (broker: Broker, topic: string, extra: Partial<Parameters<Broker["api"]["pop"]>[0]> = {}) =>
  broker.api.pop({
    consumerGroup: "G",
    topic,
    queueId: -1,
    maxMsgNums: 32,
    invisibleTimeMs: 30_000,
    initMode: "MIN",
    ...extra,
  });

describe("pop, ack and revive", () => {
  test("unacked messages come back after their invisible time with reconsumeTimes + 1; acked ones do not", async () => {
    const dir = tempDir("bunmq-pop-");
    cleanups.push(() => removeDir(dir));
    const { broker, clock } = await brokerWithClock(dir);
    await broker.api.createTopic({ topic: "PopT", readQueueNums: 2, writeQueueNums: 2 });
    await sendBodies(broker, "PopT", ["m0", "m1", "m2", "m3"]);

    const first = await pop(broker, "PopT");
    expect(first.status).toBe("FOUND");
    expect(first.messages.map((m) => dec.decode(m.body)).sort()).toEqual(["m0", "m1", "m2", "m3"]);
    for (const m of first.messages) {
      expect(m.topic).toBe("PopT");
      expect(m.properties.POP_CK).toBe(m.receiptHandle);
      expect(m.reconsumeTimes).toBe(0);
    }
    // invisible: nothing more to pop
    expect((await pop(broker, "PopT")).status).toBe("NO_NEW_MSG");

    const acked = first.messages.filter((m) => ["m0", "m2"].includes(dec.decode(m.body)));
    for (const m of acked)
      await broker.api.ack({ consumerGroup: "G", topic: "PopT", receiptHandle: m.receiptHandle });
    // acking twice is harmless
    await broker.api.ack({ consumerGroup: "G", topic: "PopT", receiptHandle: acked[0]!.receiptHandle });

    clock.now += 29_000;
    expect(await broker.revive()).toBe(0);
    clock.now += 2_000;
    expect(await broker.revive()).toBe(2);

    const again = await pop(broker, "PopT");
    expect(again.messages.map((m) => dec.decode(m.body)).sort()).toEqual(["m1", "m3"]);
    for (const m of again.messages) {
      expect(m.topic).toBe("PopT");
      expect(m.reconsumeTimes).toBe(1);
      const original = first.messages.find((o) => dec.decode(o.body) === dec.decode(m.body))!;
      expect(m.properties.UNIQ_KEY).toBe(original.properties.UNIQ_KEY);
      await broker.api.ack({ consumerGroup: "G", topic: "PopT", receiptHandle: m.receiptHandle });
    }
    clock.now += 60_000;
    expect(await broker.revive()).toBe(0);
    expect((await pop(broker, "PopT")).status).toBe("NO_NEW_MSG");
  });

  test("changeInvisibleTime gives a new handle, moves the deadline and invalidates the old handle", async () => {
    const { broker, clock } = await brokerWithClock();
    await broker.api.createTopic({ topic: "PopC", readQueueNums: 1, writeQueueNums: 1 });
    await sendBodies(broker, "PopC", ["x"]);
    const [m] = (await pop(broker, "PopC", { invisibleTimeMs: 10_000 })).messages;
    const changed = await broker.api.changeInvisibleTime({
      consumerGroup: "G",
      topic: "PopC",
      receiptHandle: m!.receiptHandle,
      invisibleTimeMs: 60_000,
    });
    expect(changed.receiptHandle).not.toBe(m!.receiptHandle);
    await expectCode(
      broker.api.changeInvisibleTime({
        consumerGroup: "G",
        topic: "PopC",
        receiptHandle: m!.receiptHandle,
        invisibleTimeMs: 5,
      }),
      ResponseCode.INVALID_PARAMETER,
    );
    clock.now += 30_000; // past the old deadline, before the new one
    expect(await broker.revive()).toBe(0);
    clock.now += 31_000;
    expect(await broker.revive()).toBe(1);
    const back = await pop(broker, "PopC");
    expect(back.messages.length).toBe(1);
    await broker.api.ack({
      consumerGroup: "G",
      topic: "PopC",
      receiptHandle: back.messages[0]!.receiptHandle,
    });
  });

  test("after retryMaxTimes redeliveries a message goes to %DLQ%group", async () => {
    const { broker, clock } = await brokerWithClock();
    await broker.api.createTopic({ topic: "PopD", readQueueNums: 1, writeQueueNums: 1 });
    await broker.api.createSubscriptionGroup({ groupName: "G", retryMaxTimes: 1 });
    await sendBodies(broker, "PopD", ["poison"]);
    for (const expected of [0, 1]) {
      const r = await pop(broker, "PopD");
      expect(r.messages.map((m) => m.reconsumeTimes)).toEqual([expected]);
      clock.now += 31_000;
      expect(await broker.revive()).toBe(1);
    }
    expect((await pop(broker, "PopD")).status).toBe("NO_NEW_MSG");
    const dlq = await broker.api.pull({
      consumerGroup: "inspector",
      topic: "%DLQ%G",
      queueId: 0,
      queueOffset: 0,
      maxMsgNums: 8,
    });
    expect(dlq.status).toBe("FOUND");
    expect(dlq.messages.map((m) => dec.decode(m.body))).toEqual(["poison"]);
    expect(dlq.messages[0]!.properties.DLQ_ORIGIN_TOPIC).toBe("PopD");
  });

  test("malformed or foreign receipt handles are INVALID_PARAMETER", async () => {
    const { broker } = await brokerWithClock();
    for (const receiptHandle of ["", "nonsense", "1 2 3 4 0 other-broker 0 1 2"])
      await expectCode(
        broker.api.ack({ consumerGroup: "G", topic: "T", receiptHandle }),
        ResponseCode.INVALID_PARAMETER,
      );
  });

  test("a held pop wakes when a message arrives", async () => {
    const { broker } = await brokerWithClock();
    await broker.api.createTopic({ topic: "PopL", readQueueNums: 2, writeQueueNums: 2 });
    const held = pop(broker, "PopL", { pollTimeMs: 20_000 });
    await sendBodies(broker, "PopL", ["late"]);
    const r = await held;
    expect(r.status).toBe("FOUND");
    expect(dec.decode(r.messages[0]!.body)).toBe("late");
  });

  test("pop applies the TAG filter and skips filtered messages for good", async () => {
    const { broker } = await brokerWithClock();
    await broker.api.createTopic({ topic: "PopF", readQueueNums: 1, writeQueueNums: 1 });
    await sendBodies(broker, "PopF", ["a1"], "A");
    await sendBodies(broker, "PopF", ["b1"], "B");
    await sendBodies(broker, "PopF", ["a2"], "A");
    const r = await pop(broker, "PopF", { filter: { expressionType: "TAG", expression: "A" } });
    expect(r.messages.map((m) => dec.decode(m.body))).toEqual(["a1", "a2"]);
  });
});

describe("pop state across a restart", () => {
  test("in-flight messages still come back and acked ones stay acked after the broker restarts", async () => {
    const dir = tempDir("bunmq-pop-restart-");
    cleanups.push(() => removeDir(dir));
    const clock = { now: 1_700_000_000_000 };
    const options = { clock: () => clock.now, reviveIntervalMs: 0, scheduleIntervalMs: 0 };
    let running = await startBroker({ dir, options });
    await running.broker.api.createTopic({ topic: "PopR", readQueueNums: 1, writeQueueNums: 1 });
    await sendBodies(running.broker, "PopR", ["keep", "lose"]);
    const r = await pop(running.broker, "PopR");
    const keep = r.messages.find((m) => dec.decode(m.body) === "keep")!;
    await running.broker.api.ack({ consumerGroup: "G", topic: "PopR", receiptHandle: keep.receiptHandle });
    await running.close();

    running = await startBroker({ dir, options });
    cleanups.push(() => running.close());
    expect((await pop(running.broker, "PopR")).status).toBe("NO_NEW_MSG");
    clock.now += 31_000;
    expect(await running.broker.revive()).toBe(1);
    const back = await pop(running.broker, "PopR");
    expect(back.messages.map((m) => dec.decode(m.body))).toEqual(["lose"]);
    // a handle issued before the restart still acks
    await running.broker.api.ack({
      consumerGroup: "G",
      topic: "PopR",
      receiptHandle: back.messages[0]!.receiptHandle,
    });
  });
});

describe("ackBatch", () => {
  test("acks valid handles with one record per checkpoint, refuses bad ones each on its own, and survives a restart", async () => {
    const dir = tempDir("bunmq-pop-batch-");
    cleanups.push(() => removeDir(dir));
    const clock = { now: 1_700_000_000_000 };
    const options = { clock: () => clock.now, reviveIntervalMs: 0, scheduleIntervalMs: 0 };
    let running = await startBroker({ dir, options });
    await running.broker.api.createTopic({ topic: "PopB", readQueueNums: 1, writeQueueNums: 1 });
    await sendBodies(running.broker, "PopB", ["m0", "m1", "m2", "m3", "m4"]);
    const r = await pop(running.broker, "PopB");
    const byBody = new Map(r.messages.map((m) => [dec.decode(m.body), m.receiptHandle]));
    const h = (b: string) => byBody.get(b)!;
    // same checkpoint, but an offset the pop never handed out
    const parts = h("m0").split(" ");
    parts[7] = "99";
    const notInCk = parts.join(" ");
    const results = await running.broker.api.ackBatch({
      consumerGroup: "G",
      topic: "PopB",
      receiptHandles: [h("m0"), "garbage", h("m2"), notInCk, h("m0"), h("m4")],
    });
    expect(results.map((e) => e?.code)).toEqual([
      undefined,
      ResponseCode.INVALID_PARAMETER,
      undefined,
      ResponseCode.INVALID_PARAMETER,
      undefined,
      undefined,
    ]);
    expect(results[3]!.message).toContain("not part of its pop checkpoint");
    await expectCode(
      running.broker.api.ackBatch({ consumerGroup: "G", topic: "bad topic", receiptHandles: [h("m1")] }),
      ResponseCode.INVALID_PARAMETER,
    );
    await running.close();

    // the batch record replays: only the unacked messages come back
    running = await startBroker({ dir, options });
    cleanups.push(() => running.close());
    clock.now += 31_000;
    expect(await running.broker.revive()).toBe(2);
    const back = await pop(running.broker, "PopB");
    expect(back.messages.map((m) => dec.decode(m.body)).sort()).toEqual(["m1", "m3"]);
    const acked = await running.broker.api.ackBatch({
      consumerGroup: "G",
      topic: "PopB",
      receiptHandles: back.messages.map((m) => m.receiptHandle),
    });
    expect(acked).toEqual([undefined, undefined]);
    clock.now += 60_000;
    expect(await running.broker.revive()).toBe(0);
  });
});
