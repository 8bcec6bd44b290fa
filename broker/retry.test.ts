import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, startBroker, tempDir } from "../tests/harness.ts";
import type { Broker } from "./index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function brokerWithClock(config: Record<string, unknown> = {}, dir = tempDir("bunmq-retry-")) {
  const clock = { now: 1_700_000_000_000 };
  const running = await startBroker({
    dir,
    config: { messageDelayLevel: "1s 2s 3s 4s 5s", ...config },
    options: { clock: () => clock.now, reviveIntervalMs: 0, scheduleIntervalMs: 0 },
  });
  cleanups.push(() => removeDir(dir));
  cleanups.push(() => running.close());
  return { broker: running.broker, clock, dir, close: () => running.close() };
}

async function read(b: Broker, topic: string, queueId = 0) {
  const r = await b.api.pull({ consumerGroup: "reader", topic, queueId, queueOffset: 0, maxMsgNums: 32 });
  return r.messages;
}

describe("delayed delivery", () => {
  test("a DELAY message waits in SCHEDULE_TOPIC_XXXX until its level's delay has passed", async () => {
    const { broker, clock, dir } = await brokerWithClock();
    await broker.api.createTopic({ topic: "DelayT", readQueueNums: 1, writeQueueNums: 1 });
    const sent = await broker.api.send({
      topic: "DelayT",
      body: enc.encode("later"),
      properties: { DELAY: "2" },
    });
    expect(sent).toMatchObject({ topic: "SCHEDULE_TOPIC_XXXX", queueId: 1 });
    expect(await broker.deliverDelayed()).toBe(0);
    expect(await read(broker, "DelayT")).toEqual([]);
    clock.now += 2_000;
    expect(await broker.deliverDelayed()).toBe(1);
    const [m] = await read(broker, "DelayT");
    expect(dec.decode(m!.body)).toBe("later");
    expect(m!.properties.DELAY).toBeUndefined();
    expect(m!.properties.REAL_TOPIC).toBe("DelayT");
    expect(await broker.deliverDelayed()).toBe(0);
    await broker.persistOffsets();
    expect(JSON.parse(readFileSync(join(dir, "config", "delayOffset.json"), "utf8")).offsetTable["2"]).toBe(
      1,
    );
  });

  test("a timer message (TIMER_DELAY_MS) is held by the timer store and delivered when due", async () => {
    const { broker, clock } = await brokerWithClock();
    await broker.api.createTopic({ topic: "TimerT", readQueueNums: 1, writeQueueNums: 1 });
    await broker.api.send({
      topic: "TimerT",
      body: enc.encode("tick"),
      properties: { TIMER_DELAY_MS: "5000" },
    });
    await broker.api.send({
      topic: "TimerT",
      body: enc.encode("now"),
      properties: { TIMER_DELIVER_MS: "1" },
    });
    expect((await read(broker, "TimerT")).map((m) => dec.decode(m.body))).toEqual(["now"]);
    clock.now += 5_000;
    await broker.deliverDelayed();
    expect((await read(broker, "TimerT")).map((m) => dec.decode(m.body))).toEqual(["now", "tick"]);
    await expect(
      broker.api.send({
        topic: "TimerT",
        body: enc.encode("x"),
        properties: { TIMER_DELAY_SEC: "999999999" },
      }),
    ).rejects.toThrow(/timer message illegal/);
  });

  test("__STARTDELIVERTIME (ali-ons setStartDeliverTime) is an absolute delivery time held by the timer store", async () => {
    const { broker, clock } = await brokerWithClock();
    await broker.api.createTopic({ topic: "StartT", readQueueNums: 1, writeQueueNums: 1 });
    const sent = await broker.api.send({
      topic: "StartT",
      body: enc.encode("at"),
      properties: { __STARTDELIVERTIME: String(clock.now + 3_000) },
    });
    expect(sent.topic).toBe("rmq_sys_wheel_timer");
    clock.now += 2_999;
    await broker.deliverDelayed();
    expect(await read(broker, "StartT")).toEqual([]);
    clock.now += 1;
    await broker.deliverDelayed();
    expect((await read(broker, "StartT")).map((m) => dec.decode(m.body))).toEqual(["at"]);
    await expect(
      broker.api.send({ topic: "StartT", body: enc.encode("x"), properties: { __STARTDELIVERTIME: "soon" } }),
    ).rejects.toThrow(/__STARTDELIVERTIME=soon is not an integer/);
  });

  test("a DELAY level outside messageDelayLevel is refused, naming the range, and nothing is stored", async () => {
    const { broker } = await brokerWithClock();
    await broker.api.createTopic({ topic: "BadDelayT", readQueueNums: 1, writeQueueNums: 1 });
    const scheduleEnd = await broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 4);
    for (const level of ["6", "-1", "two", "1.5"])
      await expect(
        broker.api.send({ topic: "BadDelayT", body: enc.encode("x"), properties: { DELAY: level } }),
      ).rejects.toMatchObject({
        code: 13,
        message: expect.stringContaining(
          `delay level ${level} is out of range: messageDelayLevel has levels 1..5`,
        ),
      });
    expect(await broker.api.getMaxOffset("BadDelayT", 0)).toBe(0);
    expect(await broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 4)).toBe(scheduleEnd);
    // level 0 is "not delayed", the last level is still accepted
    await broker.api.send({ topic: "BadDelayT", body: enc.encode("now"), properties: { DELAY: "0" } });
    expect(
      (await broker.api.send({ topic: "BadDelayT", body: enc.encode("l5"), properties: { DELAY: "5" } }))
        .queueId,
    ).toBe(4);
    expect((await read(broker, "BadDelayT")).map((m) => dec.decode(m.body))).toEqual(["now"]);
  });
});

test("a timer message can be recalled before it is due, once", async () => {
  const { broker, clock } = await brokerWithClock();
  await broker.api.createTopic({ topic: "RecallT", readQueueNums: 1, writeQueueNums: 1 });
  const sent = await broker.api.send({
    topic: "RecallT",
    body: enc.encode("never"),
    properties: { TIMER_DELAY_SEC: "10" },
  });
  expect(sent.recallHandle).toBeDefined();
  await expect(broker.api.recallMessage("OtherTopic", sent.recallHandle!)).rejects.toMatchObject({
    code: 29,
  });
  expect(await broker.api.recallMessage("RecallT", sent.recallHandle!)).toBe(sent.uniqKey!);
  await expect(broker.api.recallMessage("RecallT", sent.recallHandle!)).rejects.toMatchObject({ code: 208 });
  clock.now += 20_000;
  await broker.deliverDelayed();
  expect(await read(broker, "RecallT")).toEqual([]);
});

describe("consumer send-back", () => {
  test("a failed message is retried through %RETRY%group with growing delays, then lands in %DLQ%group", async () => {
    const { broker, clock } = await brokerWithClock();
    await broker.api.createTopic({ topic: "BackT", readQueueNums: 1, writeQueueNums: 1 });
    await broker.api.createSubscriptionGroup({ groupName: "G", retryMaxTimes: 2 });
    const sent = await broker.api.send({
      topic: "BackT",
      body: enc.encode("fail"),
      properties: { TAGS: "T1" },
    });
    let commitLogOffset = sent.commitLogOffset;
    for (const attempt of [1, 2]) {
      await broker.api.consumerSendMsgBack({ consumerGroup: "G", commitLogOffset, delayLevel: 0 });
      clock.now += 10_000;
      expect(await broker.deliverDelayed()).toBe(1);
      const retries = await read(broker, "%RETRY%G");
      const m = retries.at(-1)!;
      expect(retries.length).toBe(attempt);
      expect(m.reconsumeTimes).toBe(attempt);
      expect(m.properties.RETRY_TOPIC).toBe("BackT");
      expect(m.properties.TAGS).toBe("T1");
      commitLogOffset = m.commitLogOffset;
    }
    await broker.api.consumerSendMsgBack({ consumerGroup: "G", commitLogOffset, delayLevel: 0 });
    const [dead] = await read(broker, "%DLQ%G");
    expect(dec.decode(dead!.body)).toBe("fail");
    expect(dead!.properties.DLQ_ORIGIN_TOPIC).toBe("BackT");
    expect((await broker.api.getTopicConfig("%DLQ%G"))?.perm).toBe(6);
  });

  test("a send-back naming a delay level outside messageDelayLevel is refused and stores nothing", async () => {
    const { broker } = await brokerWithClock();
    await broker.api.createTopic({ topic: "BackBadT", readQueueNums: 1, writeQueueNums: 1 });
    const sent = await broker.api.send({ topic: "BackBadT", body: enc.encode("x") });
    const scheduleEnd = await broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 4);
    await expect(
      broker.api.consumerSendMsgBack({
        consumerGroup: "G",
        commitLogOffset: sent.commitLogOffset,
        delayLevel: 6,
      }),
    ).rejects.toMatchObject({ code: 29, message: expect.stringContaining("delay level 6 is out of range") });
    expect(await broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 4)).toBe(scheduleEnd);
    // level 5, the last, is accepted
    await broker.api.consumerSendMsgBack({
      consumerGroup: "G",
      commitLogOffset: sent.commitLogOffset,
      delayLevel: 5,
    });
    expect(await broker.api.getMaxOffset("SCHEDULE_TOPIC_XXXX", 4)).toBe(scheduleEnd + 1);
  });

  test("a retry message a producer re-sends past its limit goes to the DLQ", async () => {
    const { broker } = await brokerWithClock();
    await broker.api.createSubscriptionGroup({ groupName: "G2", retryMaxTimes: 3 });
    const r = await broker.api.send({ topic: "%RETRY%G2", body: enc.encode("r"), reconsumeTimes: 4 });
    expect(r.topic).toBe("%DLQ%G2");
    expect(existsSync).toBeDefined();
  });
});

describe("persistOffsets", () => {
  test("the last offset committed before it is what consumerOffset.json keeps, with the timer writing all along", async () => {
    const dir = tempDir("bunmq-offsets-");
    // The timer's off-the-event-loop write runs nearly all the time: each persistOffsets meets one in flight.
    const running = await startBroker({ dir, options: { flushConsumerOffsetIntervalMs: 1 } });
    cleanups.push(() => removeDir(dir));
    cleanups.push(() => running.close());
    const { broker } = running;
    await broker.api.createTopic({ topic: "OffT", readQueueNums: 1, writeQueueNums: 1 });
    const file = join(dir, "config", "consumerOffset.json");
    const stored = () => JSON.parse(readFileSync(file, "utf8")).offsetTable["OffT@g"]?.["0"];
    for (let offset = 2; offset <= 40; offset += 2) {
      // The timer sees this one and starts writing it (file writes and fsyncs on the thread pool)...
      await broker.api.updateConsumerOffset("g", "OffT", 0, offset - 1);
      await Bun.sleep(2);
      // ...and this one is written now, while that write may still be in flight.
      await broker.api.updateConsumerOffset("g", "OffT", 0, offset);
      await broker.persistOffsets();
      expect(stored()).toBe(offset);
      // An older snapshot renamed over it late would show here (nothing is dirty, so no later write fixes it).
      await Bun.sleep(30);
      expect(stored()).toBe(offset);
    }
  });
});
