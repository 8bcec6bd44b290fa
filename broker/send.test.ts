import { afterEach, describe, expect, test } from "bun:test";
import {
  decodeMessageProperties,
  decodeMessagePropertiesKeepingSource,
  encodedSourceOf,
} from "../proto/message/index.ts";
import { removeDir, startBroker, tempDir } from "../tests/harness.ts";
import type { Broker } from "./index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();

async function newBroker(): Promise<Broker> {
  const dir = tempDir("bunmq-send-");
  const running = await startBroker({
    dir,
    config: { messageDelayLevel: "1s 2s" },
    options: { clock: () => 1_700_000_000_000, reviveIntervalMs: 0, scheduleIntervalMs: 0 },
  });
  cleanups.push(() => removeDir(dir));
  cleanups.push(() => running.close());
  await running.broker.api.createTopic({ topic: "SendT", readQueueNums: 1, writeQueueNums: 1 });
  return running.broker;
}

async function pullOne(b: Broker, topic: string, queueId: number) {
  const r = await b.api.pull({ consumerGroup: "reader", topic, queueId, queueOffset: 0, maxMsgNums: 1 });
  expect(r.messages).toHaveLength(1);
  return r.messages[0]!;
}

describe("send with properties decoded from a request's string", () => {
  test("stores the string byte for byte when nothing is rewritten (non-ASCII, numeric names keep their order)", async () => {
    const b = await newBroker();
    const s = "zeta\u0001ü😀\u0002007\u0001x\u00021\u0001y\u0002TAGS\u0001tä\u0002UNIQ_KEY\u0001AB12\u0002";
    const properties = decodeMessagePropertiesKeepingSource(s);
    const r = await b.api.send({ topic: "SendT", body: enc.encode("a"), properties });
    expect(r.uniqKey).toBe("AB12");
    const m = await pullOne(b, "SendT", 0);
    expect(m.properties).toEqual(decodeMessageProperties(s));
    // The properties end the record; an object would have put the integer-like name "1" first.
    const bytes = enc.encode(s);
    expect(m.raw.subarray(m.raw.length - bytes.length)).toEqual(bytes);
    expect(new DataView(m.raw.buffer, m.raw.byteOffset).getInt16(m.raw.length - bytes.length - 2)).toBe(
      bytes.length,
    );
  });

  test("a transient property is dropped: the string is re-encoded without it", async () => {
    const b = await newBroker();
    const s = "__RMQ.TRANSIENT.X\u0001gone\u0002TAGS\u0001t\u0002";
    await b.api.send({
      topic: "SendT",
      body: enc.encode("a"),
      properties: decodeMessagePropertiesKeepingSource(s),
    });
    const m = await pullOne(b, "SendT", 0);
    expect(Object.keys(m.properties).sort()).toEqual(["TAGS", "UNIQ_KEY"]);
  });

  test("a delayed message is rewritten into SCHEDULE_TOPIC_XXXX; the caller's object stays as it was", async () => {
    const b = await newBroker();
    const s = "DELAY\u00012\u0002KEYS\u0001kü\u0002";
    const properties = decodeMessagePropertiesKeepingSource(s);
    const sent = await b.api.send({ topic: "SendT", body: enc.encode("later"), properties });
    expect(sent).toMatchObject({ topic: "SCHEDULE_TOPIC_XXXX", queueId: 1 });
    expect(properties).toEqual(decodeMessageProperties(s));
    expect(encodedSourceOf(properties)?.source).toBe(s);
    const m = await pullOne(b, "SCHEDULE_TOPIC_XXXX", 1);
    expect(m.properties).toMatchObject({ DELAY: "2", KEYS: "kü", REAL_TOPIC: "SendT", REAL_QID: "0" });
  });

  test("a timer message goes to the timer topic; the caller's object stays as it was", async () => {
    const b = await newBroker();
    const s = "TIMER_DELAY_MS\u00015000\u0002";
    const properties = decodeMessagePropertiesKeepingSource(s);
    const sent = await b.api.send({ topic: "SendT", body: enc.encode("t"), properties });
    expect(sent.topic).toBe("rmq_sys_wheel_timer");
    expect(properties).toEqual({ TIMER_DELAY_MS: "5000" });
  });
});
