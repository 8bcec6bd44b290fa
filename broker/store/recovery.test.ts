import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import { javaStringHashCode } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { readCheckpoint, type StoreCheckpoint } from "./checkpoint.ts";
import { segmentFileName } from "./mapped-file-queue.ts";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import { bodyOf, crashCopy, recordingLogger, removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import type { MessageInput, PutResult } from "./types.ts";

/**
 * etcd-style recovery tests: write, take the directory as a crash leaves it (or close), damage it at a chosen
 * offset, reopen, and assert exactly what survives; then append again.
 */

const SEGMENT = 8192;
const stores: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function track(dir: string): string {
  dirs.push(dir);
  return dir;
}

async function openStore(dir: string, extra: Partial<MessageStoreOptions> = {}): Promise<MessageStore> {
  const store = await createMessageStore(smallOptions(dir, { commitLogSegmentSize: SEGMENT, ...extra }));
  stores.push(store);
  return store;
}

async function closeStore(store: MessageStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}

function msg(i: number): MessageInput {
  return { topic: "TopicR", queueId: i % 3, body: bodyOf(i), properties: { KEYS: `key-${i}` } };
}

async function putAll(store: MessageStore, from: number, to: number): Promise<PutResult[]> {
  const out: PutResult[] = [];
  for (let i = from; i < to; i++) out.push(await store.putMessage(msg(i)));
  return out;
}

function segmentPath(dir: string, offset: number): { file: string; pos: number } {
  const start = offset - (offset % SEGMENT);
  return { file: path.join(dir, "commitlog", segmentFileName(start)), pos: offset - start };
}

function flipByte(dir: string, offset: number): void {
  const { file, pos } = segmentPath(dir, offset);
  const fd = fs.openSync(file, "r+");
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  b[0]! ^= 0xff;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
}

function zeroRange(dir: string, offset: number, length: number): void {
  const { file, pos } = segmentPath(dir, offset);
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(length), 0, length, pos);
  fs.closeSync(fd);
}

/** What a store holds, read back through its public API: per message index, whether and where it is. */
function survivors(store: MessageStore, count: number): number[] {
  const found: number[] = [];
  for (let q = 0; q < 3; q++) {
    let offset = store.getMinOffsetInQueue("TopicR", q);
    for (;;) {
      const r = store.getMessages({ topic: "TopicR", queueId: q, queueOffset: offset, maxCount: 32 });
      if (r.status !== "FOUND") break;
      for (const m of r.messages) found.push(Number(m.properties.KEYS!.slice(4)));
      offset = r.nextBeginOffset;
    }
  }
  found.sort((a, b) => a - b);
  for (const i of found) expect(i).toBeLessThan(count);
  return found;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

/** Writes 30 messages, a checkpoint, then 10 more (acknowledged, after the checkpoint); returns the crash copy. */
async function crashAfterCheckpoint(
  extra: Partial<MessageStoreOptions> = {},
): Promise<{ copy: string; puts: PutResult[]; checkpoint: StoreCheckpoint }> {
  const dir = track(tempDir());
  const store = await openStore(dir, { flushDiskType: "SYNC_FLUSH", ...extra });
  const puts = await putAll(store, 0, 30);
  await store.flush();
  const checkpoint = readCheckpoint(path.join(dir, "checkpoint")) as StoreCheckpoint;
  puts.push(...(await putAll(store, 30, 40)));
  const copy = track(crashCopy(dir));
  return { copy, puts, checkpoint };
}

async function expectRefused(dir: string, pattern: RegExp): Promise<void> {
  try {
    await openStore(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(ResponseCode.SYSTEM_ERROR);
    expect((err as MqError).message).toMatch(pattern);
    return;
  }
  throw new Error("expected the store to refuse to open");
}

describe("recovery after a clean shutdown", () => {
  test("starts fast from the checkpoint, keeps everything and appends after it", async () => {
    const dir = track(tempDir());
    const store = await openStore(dir);
    const puts = await putAll(store, 0, 60);
    await closeStore(store);
    expect(fs.existsSync(path.join(dir, "abort"))).toBe(false);
    const logger = recordingLogger();
    const again = await openStore(dir, { logger });
    expect(logger.lines.join("\n")).toMatch(/after a clean shutdown: verified 1 records/);
    expect(survivors(again, 60)).toEqual(range(0, 60));
    const next = await again.putMessage(msg(60));
    const last = puts[59]!;
    expect(next.commitLogOffset).toBeGreaterThanOrEqual(last.commitLogOffset + last.wroteBytes);
    expect(next.queueOffset).toBe(20);
  });

  test("a damaged record is reported on read with a clear error, never returned", async () => {
    const dir = track(tempDir());
    const store = await openStore(dir);
    const puts = await putAll(store, 0, 10);
    await closeStore(store);
    flipByte(dir, puts[4]!.commitLogOffset + 100); // inside the body
    const again = await openStore(dir);
    expect(() => again.lookMessageByOffset(puts[4]!.commitLogOffset)).toThrow(/damaged: .*CRC/);
    expect(() => again.getMessages({ topic: "TopicR", queueId: 1, queueOffset: 0, maxCount: 5 })).toThrow(
      MqError,
    );
    expect(again.lookMessageByOffset(puts[5]!.commitLogOffset)!.body).toEqual(bodyOf(5));
  });
});

describe("recovery after a crash", () => {
  test("keeps every acknowledged message, re-dispatching those after the checkpoint", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    expect(fs.existsSync(path.join(copy, "abort"))).toBe(true);
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 40));
    for (const i of [3, 35, 39]) {
      const found = store.queryMessageByKey("TopicR", `key-${i}`, 32, 0, Number.MAX_SAFE_INTEGER);
      expect(found.map((m) => m.commitLogOffset)).toEqual([puts[i]!.commitLogOffset]);
    }
    expect((await store.putMessage(msg(40))).queueOffset).toBe(13); // queue 1 held 13 messages
  });

  test("a torn last record (its tail never reached the disk) is cut; appends reuse its place", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    const last = puts[39]!;
    zeroRange(copy, last.commitLogOffset + 40, last.wroteBytes - 40);
    const logger = recordingLogger();
    const store = await openStore(copy, { logger });
    expect(logger.lines.join("\n")).toMatch(/cutting the tail at offset/);
    expect(survivors(store, 40)).toEqual(range(0, 39));
    expect(store.maxPhysicalOffset).toBe(last.commitLogOffset);
    expect(store.queryMessageByKey("TopicR", "key-39", 32, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    const again = await store.putMessage(msg(39));
    expect([again.commitLogOffset, again.queueOffset]).toEqual([last.commitLogOffset, last.queueOffset]);
    expect(store.queryMessageByKey("TopicR", "key-39", 32, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
  });

  test("zeros where records were (pages that never reached the disk) end the data, even with records after them", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    const from = puts[34]!.commitLogOffset;
    zeroRange(copy, from, puts[36]!.commitLogOffset - from); // 34 and 35 lost, 36..39 still on disk
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 34));
    const { file, pos } = segmentPath(copy, from);
    const tail = fs.readFileSync(file).subarray(pos);
    expect(tail.every((b) => b === 0)).toBe(true); // the stale records after the gap are gone from the file too
    expect((await store.putMessage(msg(34))).commitLogOffset).toBe(from);
  });

  test("a record cut short mid-header (only its first bytes written) is cut too", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    const last = puts[39]!;
    zeroRange(copy, last.commitLogOffset + 6, last.wroteBytes - 6); // TOTALSIZE and half the magic survive
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 39));
  });

  test("a flipped byte after the checkpoint cuts the log there, with everything after it", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    flipByte(copy, puts[35]!.commitLogOffset + 100); // in the body
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 35));
    expect(store.maxPhysicalOffset).toBe(puts[35]!.commitLogOffset);
    expect((await store.putMessage(msg(35))).commitLogOffset).toBe(puts[35]!.commitLogOffset);
  });

  test("a damaged record below the checkpointed flushed offset stops recovery with a clear error, files untouched", async () => {
    const { copy, checkpoint } = await crashAfterCheckpoint();
    flipByte(copy, checkpoint.scanFromOffset + 100);
    const before = fs.readFileSync(segmentPath(copy, checkpoint.scanFromOffset).file);
    await expectRefused(
      copy,
      /below the checkpointed flushed offset .* acknowledged messages are missing or damaged/,
    );
    expect(fs.readFileSync(segmentPath(copy, checkpoint.scanFromOffset).file)).toEqual(before);
    expect(fs.existsSync(path.join(copy, "lock"))).toBe(false);
  });

  test("a segment file cut short below the checkpoint is refused; one cut after it is recovered", async () => {
    const { copy, puts, checkpoint } = await crashAfterCheckpoint();
    const second = track(crashCopy(copy));
    const cut = segmentPath(copy, checkpoint.scanFromOffset);
    fs.truncateSync(cut.file, cut.pos);
    await expectRefused(copy, /below the checkpointed flushed offset/);

    const last = puts[39]!;
    const tail = segmentPath(second, last.commitLogOffset);
    fs.truncateSync(tail.file, tail.pos + 10);
    const store = await openStore(second);
    expect(survivors(store, 40)).toEqual(range(0, 39));
    expect(fs.statSync(tail.file).size).toBe(SEGMENT);
  });

  test("ConsumeQueue units of records lost from the CommitLog are dropped, queue offsets continue from there", async () => {
    const dir = track(tempDir());
    const store = await openStore(dir, { flushDiskType: "ASYNC_FLUSH" });
    const puts = await putAll(store, 0, 30);
    await store.flush();
    puts.push(...(await putAll(store, 30, 40))); // written, dispatched, never flushed
    const copy = track(crashCopy(dir));
    const lost = puts[33]!.commitLogOffset;
    const { file, pos } = segmentPath(copy, lost);
    fs.truncateSync(file, pos); // the page cache died with the machine
    for (const later of fs.readdirSync(path.join(copy, "commitlog"))) {
      if (Number(later) > lost) fs.rmSync(path.join(copy, "commitlog", later));
    }
    const again = await openStore(copy);
    expect(survivors(again, 40)).toEqual(range(0, 33));
    expect(again.getMaxOffsetInQueue("TopicR", 0)).toBe(11);
    expect((await again.putMessage(msg(33))).queueOffset).toBe(11);
  });

  test("index entries added after the checkpoint, across new index files, are rebuilt exactly once", async () => {
    const { copy, puts } = await crashAfterCheckpoint({ maxIndexNum: 8 });
    const store = await openStore(copy, { maxIndexNum: 8 });
    for (let i = 0; i < 40; i++) {
      const found = store.queryMessageByKey("TopicR", `key-${i}`, 32, 0, Number.MAX_SAFE_INTEGER);
      expect(found.map((m) => m.commitLogOffset)).toEqual([puts[i]!.commitLogOffset]);
      expect(store.queryMessageByUniqKey("TopicR", puts[i]!.uniqKey).length).toBe(1);
    }
  });

  test("a crash while a new segment file was being created (empty file) is recovered", async () => {
    const { copy } = await crashAfterCheckpoint();
    const files = fs.readdirSync(path.join(copy, "commitlog")).sort();
    const next = Number(files[files.length - 1]) + SEGMENT;
    fs.writeFileSync(path.join(copy, "commitlog", segmentFileName(next)), "");
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 40));
    await store.putMessage(msg(40));
  });
});

describe("recovery without a usable checkpoint", () => {
  test("rebuilt ConsumeQueue units carry the same tagsCode, with the default and with a custom tagsCodeOf", async () => {
    const custom: MessageStoreOptions["tagsCodeOf"] = (topic, props) =>
      topic === "TopicX" ? Number(props.DELAY ?? 0) * 1000 : javaStringHashCode(props.TAGS ?? "");
    for (const tagsCodeOf of [undefined, custom]) {
      const dir = track(tempDir());
      const extra = tagsCodeOf ? { tagsCodeOf } : {};
      const store = await openStore(dir, extra);
      for (let i = 0; i < 20; i++) {
        await store.putMessage({
          topic: "TopicR",
          queueId: 0,
          body: bodyOf(i),
          properties: { TAGS: `t${i % 4}` },
        });
        await store.putMessage({
          topic: "TopicX",
          queueId: 0,
          body: bodyOf(i),
          properties: { DELAY: String(i % 3) },
        });
      }
      const copy = track(crashCopy(dir));
      fs.rmSync(path.join(copy, "checkpoint"));
      fs.rmSync(path.join(copy, "consumequeue"), { recursive: true });
      const again = await openStore(copy, extra);
      const tagged = again.getMessages({
        topic: "TopicR",
        queueId: 0,
        queueOffset: 0,
        maxCount: 32,
        tagsCodeFilter: (code) => code === javaStringHashCode("t1"),
      });
      expect(tagged.messages.map((m) => m.queueOffset)).toEqual([1, 5, 9, 13, 17]);
      const delayed = again.getMessages({
        topic: "TopicX",
        queueId: 0,
        queueOffset: 0,
        maxCount: 32,
        tagsCodeFilter: (code) => code === 2000,
      });
      expect(delayed.messages.length).toBe(tagsCodeOf ? 6 : 0);
    }
  });

  test("a missing checkpoint rebuilds ConsumeQueues and index from the whole CommitLog", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    fs.rmSync(path.join(copy, "checkpoint"));
    fs.rmSync(path.join(copy, "consumequeue"), { recursive: true });
    fs.rmSync(path.join(copy, "index"), { recursive: true });
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 40));
    expect(
      store.queryMessageByKey("TopicR", "key-7", 32, 0, Number.MAX_SAFE_INTEGER)[0]!.commitLogOffset,
    ).toBe(puts[7]!.commitLogOffset);
  });

  test("a checkpoint with a bad CRC is ignored with a warning, like a missing one", async () => {
    const { copy } = await crashAfterCheckpoint();
    const fd = fs.openSync(path.join(copy, "checkpoint"), "r+");
    fs.writeSync(fd, Buffer.from([1, 2, 3]), 0, 3, 50);
    fs.closeSync(fd);
    const logger = recordingLogger();
    const store = await openStore(copy, { logger });
    expect(logger.lines.join("\n")).toMatch(/ignoring the checkpoint: checkpoint CRC mismatch/);
    expect(survivors(store, 40)).toEqual(range(0, 40));
  });

  test("no checkpoint and a damaged record with valid records after it: refused, nothing truncated", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    fs.rmSync(path.join(copy, "checkpoint"));
    flipByte(copy, puts[12]!.commitLogOffset + 100);
    await expectRefused(copy, /valid records follow it/);
  });

  test("no checkpoint and a damaged last record: cut back to the record before", async () => {
    const { copy, puts } = await crashAfterCheckpoint();
    fs.rmSync(path.join(copy, "checkpoint"));
    flipByte(copy, puts[39]!.commitLogOffset + 100);
    const store = await openStore(copy);
    expect(survivors(store, 40)).toEqual(range(0, 39));
  });
});
