import { afterEach, describe, expect, test } from "bun:test";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import {
  decodeMessageRecord,
  decodeOffsetMessageId,
  encodeMessageProperties,
  javaStringHashCode,
  MessageSysFlag,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { segmentFileName } from "./mapped-file-queue.ts";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import { bodyOf, removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import { sharedMappingRss } from "./testdata/smaps.ts";
import type { DispatchRequest, MessageInput, PutResult } from "./types.ts";

const open: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function newStore(
  extra: Partial<MessageStoreOptions> = {},
): Promise<{ store: MessageStore; dir: string }> {
  const dir = tempDir();
  dirs.push(dir);
  const store = await createMessageStore(smallOptions(dir, extra));
  open.push(store);
  return { store, dir };
}

function msg(i: number, extra: Partial<MessageInput> = {}): MessageInput {
  return {
    topic: "TopicA",
    queueId: i % 2,
    body: bodyOf(i),
    properties: { TAGS: i % 3 === 0 ? "red" : "blue" },
    ...extra,
  };
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: number): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(code);
    return;
  }
  throw new Error(`expected MqError ${code}`);
}

describe("MessageStore put and get", () => {
  test("assigns continuous queue offsets, consecutive CommitLog offsets, offset msgIds and UNIQ_KEYs", async () => {
    const { store } = await newStore();
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await store.putMessage(msg(i)));
    expect(results.filter((_, i) => i % 2 === 0).map((r) => r.queueOffset)).toEqual([...Array(20).keys()]);
    expect(results.filter((_, i) => i % 2 === 1).map((r) => r.queueOffset)).toEqual([...Array(20).keys()]);
    for (const r of results) {
      expect(decodeOffsetMessageId(r.msgId)).toEqual({
        storeHost: "127.0.0.1:10911",
        commitLogOffset: r.commitLogOffset,
      });
      expect(r.uniqKey).toMatch(/^[0-9A-F]{32}$/);
    }
    expect(new Set(results.map((r) => r.uniqKey)).size).toBe(40);
    const kept = await store.putMessage(msg(0, { properties: { UNIQ_KEY: "MY-ID" } }));
    expect(kept.uniqKey).toBe("MY-ID");
    expect(store.getMaxOffsetInQueue("TopicA", 0)).toBe(21);
    expect(store.maxPhysicalOffset).toBe(kept.commitLogOffset + kept.wroteBytes);
  });

  test("a batch mixing topics and born hosts (given, repeated, absent, IPv6) stores each message's own", async () => {
    const { store } = await newStore();
    const hosts = [
      "10.0.0.1:1",
      "10.0.0.1:1",
      undefined,
      "[0:0:0:0:0:0:0:1]:9",
      "10.0.0.2:2",
      undefined,
      "10.0.0.1:1",
    ];
    const topics = ["TopicA", "TopicA", "TopicB", "TopicA", "TopicB", "TopicB", "TopicA"];
    const put = await store.putMessages(
      hosts.map((bornHost, i) => ({ topic: topics[i]!, queueId: 0, body: bodyOf(i), bornHost })),
    );
    expect(put.map((r) => r.queueOffset)).toEqual([0, 1, 0, 2, 1, 2, 3]);
    for (let i = 0; i < hosts.length; i++) {
      const m = store.lookMessageByOffset(put[i]!.commitLogOffset)!;
      expect([m.topic, m.bornHost, m.body]).toEqual([topics[i], hosts[i] ?? "127.0.0.1:0", bodyOf(i)]);
    }
  });

  test("getMessages returns every field decoded, the exact raw record, and follows RocketMQ's statuses", async () => {
    const { store } = await newStore({ clock: () => 1_700_000_000_000 });
    const put = await store.putMessage({
      topic: "TopicA",
      queueId: 0,
      body: bodyOf(1),
      flag: 7,
      bornHost: "10.1.2.3:4567",
      bornTimestamp: 1_699_999_999_000,
      reconsumeTimes: 2,
      properties: { TAGS: "red", KEYS: "k1 k2" },
    });
    const r = store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: 0, maxCount: 10 });
    expect([r.status, r.nextBeginOffset, r.minOffset, r.maxOffset]).toEqual(["FOUND", 1, 0, 1]);
    const m = r.messages[0]!;
    expect(m).toMatchObject({
      topic: "TopicA",
      queueId: 0,
      queueOffset: 0,
      commitLogOffset: put.commitLogOffset,
      flag: 7,
      sysFlag: 0,
      bornTimestamp: 1_699_999_999_000,
      bornHost: "10.1.2.3:4567",
      storeTimestamp: 1_700_000_000_000,
      storeHost: "127.0.0.1:10911",
      reconsumeTimes: 2,
      preparedTransactionOffset: 0,
      msgId: put.msgId,
      storeSize: put.wroteBytes,
    });
    expect(m.properties).toEqual({ TAGS: "red", KEYS: "k1 k2", UNIQ_KEY: put.uniqKey });
    expect(m.body).toEqual(bodyOf(1));
    expect(m.raw.length).toBe(put.wroteBytes);
    expect(decodeMessageRecord(m.raw.slice()).body).toEqual(bodyOf(1));

    const status = (queueOffset: number, topic = "TopicA", queueId = 0) =>
      store.getMessages({ topic, queueId, queueOffset, maxCount: 1 });
    expect(status(1)).toMatchObject({ status: "OFFSET_OVERFLOW_ONE", nextBeginOffset: 1 });
    expect(status(5)).toMatchObject({ status: "OFFSET_OVERFLOW_BADLY", nextBeginOffset: 0 });
    expect(status(0, "Nope")).toMatchObject({ status: "NO_MATCHED_LOGIC_QUEUE", nextBeginOffset: 0 });
    expect(() => store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: 0, maxCount: 0 })).toThrow(
      MqError,
    );
  });

  test("filters by tagsCode and by message, honours maxCount and maxBytes, and reports what it skipped", async () => {
    const { store } = await newStore();
    await store.putMessages(Array.from({ length: 30 }, (_, i) => msg(i, { queueId: 0 })));
    const red = javaStringHashCode("red");
    const byTag = store.getMessages({
      topic: "TopicA",
      queueId: 0,
      queueOffset: 0,
      maxCount: 4,
      tagsCodeFilter: (code) => code === red,
    });
    expect(byTag.messages.map((m) => m.queueOffset)).toEqual([0, 3, 6, 9]);
    expect(byTag.nextBeginOffset).toBe(10);
    const none = store.getMessages({
      topic: "TopicA",
      queueId: 0,
      queueOffset: 0,
      maxCount: 4,
      tagsCodeFilter: () => false,
    });
    expect([none.status, none.messages.length, none.nextBeginOffset]).toEqual(["NO_MATCHED_MESSAGE", 0, 30]);
    const bySql = store.getMessages({
      topic: "TopicA",
      queueId: 0,
      queueOffset: 20,
      maxCount: 32,
      messageFilter: (m) => m.properties.TAGS === "blue",
    });
    expect(bySql.messages.every((m) => m.properties.TAGS === "blue")).toBe(true);
    expect(bySql.messages.length).toBe(7); // offsets 20..29 minus the red ones (21, 24, 27)
    const sizes = store.getMessages({
      topic: "TopicA",
      queueId: 0,
      queueOffset: 0,
      maxCount: 32,
      maxBytes: 700,
    });
    const total = sizes.messages.reduce((n, m) => n + m.storeSize, 0);
    expect(total).toBeLessThanOrEqual(700);
    expect(sizes.messages.length).toBeGreaterThan(1);
    const one = store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: 0, maxCount: 32, maxBytes: 1 });
    expect(one.messages.length).toBe(1); // at least one message, whatever maxBytes says
  });

  test("rolls CommitLog segments with a blank marker and reads across them", async () => {
    const { store, dir } = await newStore({ commitLogSegmentSize: 4096 });
    const results = await store.putMessages(Array.from({ length: 40 }, (_, i) => msg(i, { queueId: 0 })));
    const segments = results.map((r) => Math.floor(r.commitLogOffset / 4096));
    expect(new Set(segments).size).toBeGreaterThan(3);
    for (let i = 1; i < results.length; i++) {
      const prev = results[i - 1]!;
      const cur = results[i]!;
      const sameSegment = Math.floor(prev.commitLogOffset / 4096) === Math.floor(cur.commitLogOffset / 4096);
      expect(cur.commitLogOffset).toBe(
        sameSegment ? prev.commitLogOffset + prev.wroteBytes : (segments[i] ?? 0) * 4096,
      );
    }
    let offset = 0;
    const seen: number[] = [];
    for (;;) {
      const r = store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: offset, maxCount: 7 });
      if (r.status !== "FOUND") break;
      seen.push(...r.messages.map((m) => m.queueOffset));
      offset = r.nextBeginOffset;
    }
    expect(seen).toEqual([...Array(40).keys()]);
    expect(store.lookMessageByOffset(results[33]!.commitLogOffset)!.body).toEqual(bodyOf(33));
    expect(store.lookMessageByOffset(results[33]!.commitLogOffset + 1)).toBeNull();
    expect(store.lookMessageByOffset(store.maxPhysicalOffset)).toBeNull();
    expect(dir).toBeTruthy();
  });

  test("putMessages stores a batch as consecutive records in order", async () => {
    const { store } = await newStore({ commitLogSegmentSize: 1 << 20 });
    const [a, b] = await Promise.all([
      store.putMessages(Array.from({ length: 5 }, (_, i) => msg(i, { queueId: 0 }))),
      store.putMessages(Array.from({ length: 5 }, (_, i) => msg(i + 5, { queueId: 0 }))),
    ]);
    const all = [...a!, ...b!];
    for (let i = 1; i < all.length; i++) {
      expect(all[i]!.commitLogOffset).toBe(all[i - 1]!.commitLogOffset + all[i - 1]!.wroteBytes);
      expect(all[i]!.queueOffset).toBe(i);
    }
  });

  test("rejects illegal input with MESSAGE_ILLEGAL and keeps working", async () => {
    const { store } = await newStore();
    const bad: MessageInput[] = [
      msg(0, { body: new Uint8Array(2049) }),
      msg(0, { topic: "../etc" }),
      msg(0, { topic: "" }),
      msg(0, { topic: "x".repeat(256) }),
      msg(0, { queueId: -1 }),
      msg(0, { queueId: 1.5 }),
      msg(0, { flag: 2 ** 40 }),
      msg(0, { bornHost: "nowhere" }),
      msg(0, { properties: { "bad\u0001name": "x" } }),
      msg(0, { properties: { big: "x".repeat(40_000) } }),
      msg(0, { body: "text" as unknown as Uint8Array }),
    ];
    for (const m of bad) await expectCode(store.putMessage(m), ResponseCode.MESSAGE_ILLEGAL);
    await expectCode(store.putMessages([]), ResponseCode.MESSAGE_ILLEGAL);
    await expectCode(store.putMessages([msg(1), msg(2, { queueId: -5 })]), ResponseCode.MESSAGE_ILLEGAL);
    expect(store.maxPhysicalOffset).toBe(0); // a batch with one bad message stores nothing
    const ok = await store.putMessage(msg(3));
    expect(ok.queueOffset).toBe(0);
  });

  test("a record larger than a segment is refused", async () => {
    const { store } = await newStore({ commitLogSegmentSize: 4096, maxMessageSize: 8192 });
    await expectCode(store.putMessage(msg(0, { body: new Uint8Array(4096) })), ResponseCode.MESSAGE_ILLEGAL);
  });

  test("PREPARED and ROLLBACK records get no queue offset or ConsumeQueue unit; COMMIT ones do", async () => {
    const { store } = await newStore();
    const seen: DispatchRequest[] = [];
    store.onDispatch((r) => seen.push(r));
    const prepared = await store.putMessage(
      msg(0, { sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE, queueId: 0 }),
    );
    const rollback = await store.putMessage(
      msg(1, { sysFlag: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE, queueId: 0 }),
    );
    const commit = await store.putMessage(
      msg(2, { sysFlag: MessageSysFlag.TRANSACTION_COMMIT_TYPE, queueId: 0 }),
    );
    expect([prepared.queueOffset, rollback.queueOffset, commit.queueOffset]).toEqual([0, 0, 0]);
    expect(store.getMaxOffsetInQueue("TopicA", 0)).toBe(1);
    expect(store.lookMessageByOffset(prepared.commitLogOffset)!.sysFlag).toBe(
      MessageSysFlag.TRANSACTION_PREPARED_TYPE,
    );
    expect(seen.map((r) => r.consumeQueued)).toEqual([false, false, true]);
  });
});

describe("MessageStore dispatch, lookups and maintenance", () => {
  test("onDispatch fires in order once the ConsumeQueue holds the message; a throwing listener is contained", async () => {
    const { store } = await newStore();
    const seen: Array<[number, number]> = [];
    store.onDispatch(() => {
      throw new Error("listener bug");
    });
    const off = store.onDispatch((r) => {
      const visible = store.getMessages({
        topic: r.topic,
        queueId: r.queueId,
        queueOffset: r.queueOffset,
        maxCount: 1,
      });
      expect(visible.status).toBe("FOUND");
      seen.push([r.queueId, r.queueOffset]);
    });
    await store.putMessages([msg(0), msg(1), msg(2)]);
    expect(seen).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    off();
    await store.putMessage(msg(3));
    expect(seen.length).toBe(3);
  });

  test("dispatch requests carry tagsCode, keys, UNIQ_KEY and properties; tagsCodeOf can be replaced", async () => {
    const { store } = await newStore({
      tagsCodeOf: (topic, props, storeTimestamp) =>
        topic === "SCHEDULE_TOPIC_XXXX"
          ? storeTimestamp + 1000 * Number(props.DELAY)
          : javaStringHashCode(props.TAGS ?? ""),
      clock: () => 5_000,
    });
    const seen: DispatchRequest[] = [];
    store.onDispatch((r) => seen.push(r));
    await store.putMessage({
      topic: "SCHEDULE_TOPIC_XXXX",
      queueId: 2,
      body: bodyOf(0),
      properties: { DELAY: "3" },
    });
    await store.putMessage({
      topic: "TopicA",
      queueId: 0,
      body: bodyOf(1),
      properties: { TAGS: "red", KEYS: "a b" },
    });
    expect(seen[0]!.tagsCode).toBe(8_000);
    expect(seen[1]).toMatchObject({
      tagsCode: javaStringHashCode("red"),
      keys: "a b",
      storeTimestamp: 5_000,
    });
    expect(seen[1]!.uniqKey).toBe(seen[1]!.properties.UNIQ_KEY);
    const got = store.getMessages({
      topic: "SCHEDULE_TOPIC_XXXX",
      queueId: 2,
      queueOffset: 0,
      maxCount: 1,
      tagsCodeFilter: (c) => c <= 8_000,
    });
    expect(got.status).toBe("FOUND");
  });

  test("finds messages by key, by UNIQ_KEY and by time", async () => {
    let now = 1_700_000_000_000;
    const { store } = await newStore({ clock: () => now });
    const puts = [];
    for (let i = 0; i < 20; i++) {
      now += 1000;
      puts.push(
        await store.putMessage(msg(i, { queueId: 0, properties: { KEYS: `order-${i % 4} common` } })),
      );
    }
    const byKey = store.queryMessageByKey("TopicA", "order-1", 32, 0, Number.MAX_SAFE_INTEGER);
    expect(byKey.map((m) => m.queueOffset).sort((a, b) => a - b)).toEqual([1, 5, 9, 13, 17]);
    const ranged = store.queryMessageByKey("TopicA", "order-1", 32, 1_700_000_006_000, 1_700_000_014_000);
    expect(ranged.map((m) => m.queueOffset).sort((a, b) => a - b)).toEqual([5, 9, 13]); // bounds inclusive
    expect(store.queryMessageByKey("TopicA", "common", 3, 0, Number.MAX_SAFE_INTEGER).length).toBe(3);
    expect(store.queryMessageByKey("TopicB", "order-1", 32, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    const byId = store.queryMessageByUniqKey("TopicA", puts[7]!.uniqKey);
    expect(byId.map((m) => m.commitLogOffset)).toEqual([puts[7]!.commitLogOffset]);
    expect(store.queryMessageByUniqKey("TopicA", "NOPE")).toEqual([]);

    expect(store.getOffsetInQueueByTime("TopicA", 0, 0)).toBe(0);
    expect(store.getOffsetInQueueByTime("TopicA", 0, 1_700_000_010_000)).toBe(9);
    expect(store.getOffsetInQueueByTime("TopicA", 0, 1_700_000_010_001)).toBe(10);
    expect(store.getOffsetInQueueByTime("TopicA", 0, 1_800_000_000_000)).toBe(20);
    expect(store.getMessageStoreTimeStamp("TopicA", 0, 3)).toBe(1_700_000_004_000);
    expect(store.getMessageStoreTimeStamp("TopicA", 0, 99)).toBe(-1);
    expect(store.getEarliestMessageTime("TopicA", 0)).toBe(1_700_000_001_000);
  });

  test("deleteTopic drops its queues; new messages start again at queue offset 0, also after a restart", async () => {
    const { store, dir } = await newStore();
    await store.putMessages([msg(0), msg(1), msg(2, { topic: "TopicB" })]);
    expect(store.topics()).toEqual(["TopicA", "TopicB"]);
    expect(store.queueIds("TopicA")).toEqual([0, 1]);
    expect(await store.deleteTopic("TopicA")).toBe(true);
    expect(store.topics()).toEqual(["TopicB"]);
    expect(store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: 0, maxCount: 1 }).status).toBe(
      "NO_MATCHED_LOGIC_QUEUE",
    );
    expect((await store.putMessage(msg(0))).queueOffset).toBe(0);
    await store.close();
    open.splice(open.indexOf(store), 1);
    const again = await createMessageStore(smallOptions(dir));
    open.push(again);
    expect(again.getMaxOffsetInQueue("TopicA", 0)).toBe(1);
    expect(again.getMaxOffsetInQueue("TopicB", 0)).toBe(1);
  });

  test("SYNC_FLUSH resolves after fdatasync, many concurrent puts sharing few of them", async () => {
    const { store } = await newStore({ flushDiskType: "SYNC_FLUSH", commitLogSegmentSize: 1 << 20 });
    const before = store.flushCount;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.putMessage(msg(i))));
    const end = Math.max(...results.map((r) => r.commitLogOffset + r.wroteBytes));
    expect(store.flushedPhysicalOffset).toBeGreaterThanOrEqual(end);
    expect(store.flushCount - before).toBeGreaterThan(0);
    expect(store.flushCount - before).toBeLessThan(20);
    const one = await store.putMessage(msg(999));
    expect(store.flushedPhysicalOffset).toBeGreaterThanOrEqual(one.commitLogOffset + one.wroteBytes);
  });

  test("ASYNC_FLUSH writes through the mapping but keeps only unflushed and populated-ahead pages mapped", async () => {
    const segment = 8 * 1024 * 1024;
    const { store, dir } = await newStore({
      flushDiskType: "ASYNC_FLUSH",
      commitLogSegmentSize: segment,
      consumeQueueUnitsPerFile: 300_000,
      maxMessageSize: 64 * 1024,
    });
    const body = new Uint8Array(60 * 1024).fill(3);
    // About 13 MiB: the first segment fills and rolls, the second is more than half written.
    for (let i = 0; i < 220; i++) await store.putMessage({ topic: "TopicA", queueId: 0, body });
    await store.flush();
    const rss = sharedMappingRss(path.join(dir, "commitlog"));
    // The full segment's mapping holds no page (if it was not collected already)...
    expect(rss.get(path.join(dir, "commitlog", segmentFileName(0))) ?? 0).toBe(0);
    // ...and the current one none below the flushed offset: at most the populated pages past it.
    const current = rss.get(path.join(dir, "commitlog", segmentFileName(segment)));
    const written = store.maxPhysicalOffset - segment;
    expect(written).toBeGreaterThan(4 * 1024 * 1024);
    expect(current).toBeDefined();
    expect(current!).toBeLessThanOrEqual(segment - Math.floor(written / 4096) * 4096);
    const got = store.getMessages({ topic: "TopicA", queueId: 0, queueOffset: 0, maxCount: 1 });
    expect(got.messages[0]!.body).toEqual(body);
  });

  test("ASYNC_FLUSH acknowledges on write and flushes on its interval", async () => {
    const { store } = await newStore({ flushDiskType: "ASYNC_FLUSH", flushIntervalMs: 10 });
    const r = await store.putMessage(msg(0));
    const deadline = Date.now() + 5000;
    while (store.flushedPhysicalOffset < r.commitLogOffset + r.wroteBytes && Date.now() < deadline) {
      await Bun.sleep(5);
    }
    expect(store.flushedPhysicalOffset).toBe(r.commitLogOffset + r.wroteBytes);
  });

  test("close flushes pending puts, refuses new ones, and a second open of a live store is refused", async () => {
    const { store, dir } = await newStore({ flushDiskType: "SYNC_FLUSH" });
    await expectCode(createMessageStore(smallOptions(dir)), ResponseCode.SYSTEM_ERROR);
    const pending = store.putMessage(msg(0));
    await store.close();
    expect((await pending).queueOffset).toBe(0);
    await expectCode(store.putMessage(msg(1)), ResponseCode.SERVICE_NOT_AVAILABLE);
    const again = await createMessageStore(smallOptions(dir));
    open.push(again);
    expect(again.getMaxOffsetInQueue("TopicA", 0)).toBe(1);
    expect((await again.putMessage(msg(2))).queueOffset).toBe(1);
  });
});

describe("MessageStore write path", () => {
  for (const flushDiskType of ["ASYNC_FLUSH", "SYNC_FLUSH"] as const) {
    test(`${flushDiskType}: concurrent large batches and single puts, written off the event loop, come back whole and in order`, async () => {
      const options: Partial<MessageStoreOptions> = {
        flushDiskType,
        commitLogSegmentSize: 256 * 1024,
        consumeQueueUnitsPerFile: 1024,
        maxIndexNum: 8192,
        maxMessageSize: 4096,
        transientStorePoolEnable: true, // the append-buffer path (ASYNC_FLUSH writes into the mapping otherwise)
        writeBufferSize: 64 * 1024, // writes of 64 KiB go to the thread pool; 3 buffers run out and bytes wait
        writeBufferCount: 3,
      };
      const { store, dir } = await newStore(options);
      const results: { i: number; r: PutResult }[] = [];
      let next = 0;
      const input = (i: number) => msg(i, { queueId: i % 3, body: bodyOf(i, 500 + (i % 9) * 300) });
      await Promise.all([
        ...Array.from({ length: 6 }, async () => {
          for (let round = 0; round < 6; round++) {
            const first = next;
            next += 120;
            const rs = await store.putMessages(Array.from({ length: 120 }, (_, k) => input(first + k)));
            rs.forEach((r, k) => {
              results.push({ i: first + k, r });
            });
          }
        }),
        ...Array.from({ length: 16 }, async () => {
          for (let round = 0; round < 20; round++) {
            const i = next++;
            results.push({ i, r: await store.putMessage(input(i)) });
          }
        }),
      ]);
      expect(results.length).toBe(6 * 6 * 120 + 16 * 20);
      const end = Math.max(...results.map(({ r }) => r.commitLogOffset + r.wroteBytes));
      expect(store.maxPhysicalOffset).toBe(end);
      if (flushDiskType === "SYNC_FLUSH") expect(store.flushedPhysicalOffset).toBe(end);
      const check = (s: MessageStore) => {
        for (const { i, r } of results) {
          const m = s.lookMessageByOffset(r.commitLogOffset)!;
          expect(m.body).toEqual(input(i).body);
          expect([m.queueId, m.queueOffset, m.msgId]).toEqual([i % 3, r.queueOffset, r.msgId]);
          expect(m.properties.UNIQ_KEY).toBe(r.uniqKey);
        }
        for (let q = 0; q < 3; q++) {
          const offsets = results.filter(({ i }) => i % 3 === q).map(({ r }) => r.queueOffset);
          expect(offsets.sort((a, b) => a - b)).toEqual([...offsets.keys()]);
          expect(s.getMaxOffsetInQueue("TopicA", q)).toBe(offsets.length);
        }
      };
      check(store);
      await store.close();
      const again = await createMessageStore(smallOptions(dir, options));
      open.push(again);
      check(again);
    });
  }

  test("properties are stored byte for byte as encodeMessageProperties gives them, UNIQ_KEY last when generated", async () => {
    const { store } = await newStore();
    const props = { TAGS: "t\u00e4g", KEYS: "k1 \u4e2d\u6587", EMPTY: "", UNIQ_KEY: "", "\u{1F600}": "x" };
    const generated = await store.putMessage(msg(1, { properties: props }));
    const given = await store.putMessage(msg(2, { properties: { ...props, UNIQ_KEY: "GIVEN-1" } }));
    const encoder = new TextEncoder();
    const { UNIQ_KEY: _, ...rest } = props;
    const raw = (r: PutResult) => store.lookMessageByOffset(r.commitLogOffset)!.raw;
    const tail = (bytes: Uint8Array, n: number) => bytes.subarray(bytes.length - n);
    const expectedGenerated = encoder.encode(
      encodeMessageProperties({ ...rest, UNIQ_KEY: generated.uniqKey }),
    );
    expect(tail(raw(generated), expectedGenerated.length)).toEqual(expectedGenerated);
    const expectedGiven = encoder.encode(encodeMessageProperties({ ...props, UNIQ_KEY: "GIVEN-1" }));
    expect(tail(raw(given), expectedGiven.length)).toEqual(expectedGiven);
    expect(store.queryMessageByUniqKey("TopicA", generated.uniqKey)[0]?.commitLogOffset).toBe(
      generated.commitLogOffset,
    );
    expect(store.queryMessageByKey("TopicA", "\u4e2d\u6587", 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(2);
  });
});
