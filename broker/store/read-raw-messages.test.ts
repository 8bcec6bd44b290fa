import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import { decodeMessageRecord, RecordField, tagsStringToTagsCode } from "../../proto/message/index.ts";
import { segmentFileName } from "./mapped-file-queue.ts";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import type { GetRawMessagesRequest } from "./read-raw-messages.ts";
import { bodyOf, removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import type { PutResult } from "./types.ts";

const SEGMENT = 4096;
const HOUR = 3_600_000;
const stores: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function open(dir: string, extra: Partial<MessageStoreOptions> = {}): Promise<MessageStore> {
  const store = await createMessageStore(smallOptions(dir, { commitLogSegmentSize: SEGMENT, ...extra }));
  stores.push(store);
  return store;
}

async function setup(extra: Partial<MessageStoreOptions> = {}) {
  const dir = tempDir("raw-read");
  dirs.push(dir);
  return { dir, store: await open(dir, extra) };
}

/** The records of a raw body, split by TOTALSIZE and decoded (CRC checked). */
function records(body: Uint8Array) {
  const out = [];
  for (let at = 0; at < body.length; ) {
    const m = decodeMessageRecord(body, at);
    out.push(m);
    at += m.storeSize;
  }
  return out;
}

/** What the decoding read answers for the same request, as a raw body. */
function decodedBody(store: MessageStore, req: GetRawMessagesRequest) {
  const r = store.getMessages(req);
  const size = r.messages.reduce((n, m) => n + m.raw.length, 0);
  const body = new Uint8Array(size);
  let at = 0;
  for (const m of r.messages) {
    body.set(m.raw, at);
    at += m.raw.length;
  }
  return { status: r.status, nextBeginOffset: r.nextBeginOffset, body, count: r.messages.length };
}

function rawOf(store: MessageStore, req: GetRawMessagesRequest) {
  const r = store.getRawMessages(req);
  return { status: r.status, nextBeginOffset: r.nextBeginOffset, body: r.body, count: r.count };
}

describe("getRawMessages", () => {
  test("answers what the decoding read answers, byte for byte, for interleaved and adjacent records", async () => {
    const { store } = await setup({ commitLogSegmentSize: 64 * 1024 });
    for (let i = 0; i < 60; i++) {
      // Queue 0 gets runs of adjacent records, queue 1 records between queue 2's.
      const queueId = i < 20 ? 0 : 1 + (i % 2);
      await store.putMessage({ topic: "T", queueId, body: bodyOf(i), properties: { KEYS: `k${i}` } });
    }
    for (const req of [
      { queueId: 0, queueOffset: 0, maxCount: 32 },
      { queueId: 0, queueOffset: 5, maxCount: 7 },
      { queueId: 1, queueOffset: 0, maxCount: 32 },
      { queueId: 2, queueOffset: 3, maxCount: 4 },
      { queueId: 0, queueOffset: 0, maxCount: 32, maxBytes: 600 },
    ]) {
      const full = { topic: "T", ...req };
      const raw = rawOf(store, full);
      expect(raw.status).toBe("FOUND");
      expect(raw).toEqual(decodedBody(store, full));
    }
    const r = store.getRawMessages({ topic: "T", queueId: 0, queueOffset: 0, maxCount: 32 });
    expect(records(r.body).map((m) => m.queueOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("reads records on both sides of segment ends (a run never crosses a segment)", async () => {
    const { store } = await setup();
    const puts: PutResult[] = [];
    for (let i = 0; i < 40; i++)
      puts.push(await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(i, 700) }));
    const segmentsUsed = new Set(puts.map((p) => Math.floor(p.commitLogOffset / SEGMENT)));
    expect(segmentsUsed.size).toBeGreaterThan(5);
    const r = store.getRawMessages({ topic: "T", queueId: 0, queueOffset: 2, maxCount: 30 });
    expect(r.status).toBe("FOUND");
    expect(r.count).toBe(30);
    const got = records(r.body);
    expect(got.map((m) => m.commitLogOffset)).toEqual(puts.slice(2, 32).map((p) => p.commitLogOffset));
    expect(got.map((m) => m.body)).toEqual(Array.from({ length: 30 }, (_, i) => bodyOf(i + 2, 700)));
    expect(r.nextBeginOffset).toBe(32);
  });

  test("a TAG filter decides by tag hash, then by the tag itself (a hash collision is not delivered)", async () => {
    const { store } = await setup({ commitLogSegmentSize: 64 * 1024 });
    // "Aa" and "BB" share Java's String.hashCode.
    expect(tagsStringToTagsCode("Aa")).toBe(tagsStringToTagsCode("BB"));
    const tags = ["Aa", "BB", undefined, "x", "Aa", "BB"];
    for (const [i, tag] of tags.entries()) {
      const properties: Record<string, string> = { KEYS: `k${i}` };
      if (tag) properties.TAGS = tag;
      await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(i), properties });
    }
    const code = tagsStringToTagsCode("Aa");
    const req: GetRawMessagesRequest = {
      topic: "T",
      queueId: 0,
      queueOffset: 0,
      maxCount: 32,
      tagsCodeFilter: (c) => c === code,
      tagFilter: (t) => t === "Aa",
    };
    const r = store.getRawMessages(req);
    expect(r.status).toBe("FOUND");
    expect(records(r.body).map((m) => [m.queueOffset, m.properties.TAGS])).toEqual([
      [0, "Aa"],
      [4, "Aa"],
    ]);
    expect(r.nextBeginOffset).toBe(6);
    const untagged = store.getRawMessages({
      ...req,
      tagsCodeFilter: undefined,
      tagFilter: (t) => t === undefined,
    });
    expect(records(untagged.body).map((m) => m.queueOffset)).toEqual([2]);
    // Only filtered records from the start: nothing matched, and the next pull starts after them.
    const none = store.getRawMessages({ ...req, queueOffset: 1, maxCount: 2, tagFilter: () => false });
    expect([none.status, none.count, none.body.length, none.nextBeginOffset]).toEqual([
      "NO_MATCHED_MESSAGE",
      0,
      0,
      6,
    ]);
  });

  test("the TAGS entry is found by its whole name, and a non-ASCII tag is read whole", async () => {
    const { store } = await setup({ commitLogSegmentSize: 64 * 1024 });
    const properties = { XTAGS: "no", TAGSX: "no", TAGS: "größe", b: "TAGSx" };
    await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(0), properties });
    const seen: (string | undefined)[] = [];
    store.getRawMessages({
      topic: "T",
      queueId: 0,
      queueOffset: 0,
      maxCount: 1,
      tagFilter: (t) => {
        seen.push(t);
        return true;
      },
    });
    expect(seen).toEqual(["größe"]);
  });

  test("offsets outside the queue get the same statuses and next offsets as the decoding read", async () => {
    const { store } = await setup();
    for (let i = 0; i < 5; i++) await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(i) });
    const cases = [
      { topic: "T", queueId: 0, queueOffset: 5, maxCount: 4 }, // OFFSET_OVERFLOW_ONE
      { topic: "T", queueId: 0, queueOffset: 9, maxCount: 4 }, // OFFSET_OVERFLOW_BADLY
      { topic: "T", queueId: 3, queueOffset: 0, maxCount: 4 }, // NO_MATCHED_LOGIC_QUEUE
    ];
    for (const req of cases) expect(rawOf(store, req)).toEqual(decodedBody(store, req));
    expect(store.getRawMessages(cases[0]!).status).toBe("OFFSET_OVERFLOW_ONE");
    expect(() => store.getRawMessages({ topic: "T", queueId: 0, queueOffset: -1, maxCount: 4 })).toThrow(
      MqError,
    );
    expect(() => store.getRawMessages({ topic: "T", queueId: 0, queueOffset: 0, maxCount: 0 })).toThrow(
      MqError,
    );
  });

  test("an offset below the queue's minimum after retention is OFFSET_TOO_SMALL with the new minimum", async () => {
    const dir = tempDir("raw-read");
    dirs.push(dir);
    const clock = { now: Date.now() };
    const store = await open(dir, {
      clock: () => clock.now,
      fileReservedTimeHours: 1,
      deleteFileBatchMax: 100,
      maxIndexNum: 16,
      diskMaxUsedSpaceRatio: 100,
      diskSpaceCleanForciblyRatio: 100,
    });
    const puts: PutResult[] = [];
    for (let i = 0; i < 40; i++)
      puts.push(await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(i, 400) }));
    await store.flush();
    clock.now += 2 * HOUR;
    const { minPhysicalOffset } = store.cleanExpiredFiles({ force: true });
    const firstKept = puts.findIndex((p) => p.commitLogOffset >= minPhysicalOffset);
    expect(firstKept).toBeGreaterThan(0);
    const low = store.getRawMessages({ topic: "T", queueId: 0, queueOffset: 0, maxCount: 4 });
    expect([low.status, low.nextBeginOffset, low.count]).toEqual(["OFFSET_TOO_SMALL", firstKept, 0]);
    const kept = store.getRawMessages({ topic: "T", queueId: 0, queueOffset: firstKept, maxCount: 100 });
    expect(records(kept.body).map((m) => m.queueOffset)).toEqual(
      puts.slice(firstKept).map((p) => p.queueOffset),
    );
  });

  test("a record that is not the one its ConsumeQueue unit names is reported, never returned", async () => {
    const { dir, store } = await setup();
    const puts: PutResult[] = [];
    for (let i = 0; i < 10; i++)
      puts.push(await store.putMessage({ topic: "T", queueId: 0, body: bodyOf(i) }));
    await store.close();
    stores.splice(0);
    // Damage the stored PHYSICALOFFSET of record 4 (recovery after a clean shutdown verifies the last one only).
    const at = puts[4]!.commitLogOffset + RecordField.PHYSICALOFFSET + 7;
    const start = at - (at % SEGMENT);
    const fd = fs.openSync(path.join(dir, "commitlog", segmentFileName(start)), "r+");
    fs.writeSync(fd, Buffer.from([0x55]), 0, 1, at - start);
    fs.closeSync(fd);
    const again = await open(dir);
    expect(() => again.getRawMessages({ topic: "T", queueId: 0, queueOffset: 2, maxCount: 5 })).toThrow(
      /offset \d+ is damaged: PHYSICALOFFSET/,
    );
    const after = again.getRawMessages({ topic: "T", queueId: 0, queueOffset: 5, maxCount: 5 });
    expect(records(after.body).map((m) => m.queueOffset)).toEqual([5, 6, 7, 8, 9]);
  });
});
