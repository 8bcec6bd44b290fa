import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { javaStringHashCode } from "../../proto/message/index.ts";
import { IndexFile, indexFileSize, indexKeyHash, indexKeyHashPrefix, positiveKeyHash } from "./index-file.ts";
import { MessageIndex } from "./message-index.ts";
import { openNativeIo } from "./native-io.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";
import { sharedMappingRss } from "./testdata/smaps.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function create(slots = 4, entries = 32): IndexFile {
  const dir = tempDir("idx");
  dirs.push(dir);
  return IndexFile.create(path.join(dir, "20260101000000000"), "20260101000000000", slots, entries);
}

const T0 = 1_700_000_000_000;
const k = (key: string) => indexKeyHash("T", key);

describe("IndexFile", () => {
  test("uses RocketMQ's file size, header and key hash", () => {
    const f = create(4, 32);
    expect(fs.statSync(f.path).size).toBe(indexFileSize(4, 32));
    expect(indexFileSize(5_000_000, 20_000_000)).toBe(420_000_040);
    expect(f.indexCount).toBe(1);
    expect(positiveKeyHash(javaStringHashCode("polygenelubricants"))).toBe(0); // Integer.MIN_VALUE maps to 0
    expect(indexKeyHash("TopicTest", "key")).toBe(Math.abs(javaStringHashCode("TopicTest#key")));
    expect(indexKeyHash("TopicTest", "key-1")).toBe(Math.abs(javaStringHashCode("TopicTest#key-1")));
    f.putKey(k("a"), 100, T0);
    f.putKey(k("b"), 200, T0 + 5000);
    expect([f.indexCount, f.beginPhyOffset, f.endPhyOffset, f.beginTimestamp, f.endTimestamp]).toEqual([
      3,
      100,
      200,
      T0,
      T0 + 5000,
    ]);
    f.close();
  });

  test("finds every offset of a key through colliding slot chains, newest first, within the time range", () => {
    const f = create(2, 64); // 2 slots: every key collides with others
    for (let i = 0; i < 30; i++) f.putKey(k(`k${i % 5}`), i * 10, T0 + i * 1000);
    const out: number[] = [];
    f.selectPhyOffsets(out, k("k3"), 100, 0, Number.MAX_SAFE_INTEGER);
    expect(out).toEqual([280, 230, 180, 130, 80, 30]);
    const ranged: number[] = [];
    f.selectPhyOffsets(ranged, k("k3"), 100, T0 + 8000, T0 + 18000);
    expect(ranged).toEqual([180, 130, 80]);
    const few: number[] = [];
    f.selectPhyOffsets(few, k("k3"), 2, 0, Number.MAX_SAFE_INTEGER);
    expect(few).toEqual([280, 230]);
    f.close();
  });

  test("refuses keys once full", () => {
    const f = create(4, 4);
    expect([f.putKey(k("a"), 1, T0), f.putKey(k("b"), 2, T0), f.putKey(k("c"), 3, T0)]).toEqual([
      true,
      true,
      true,
    ]);
    expect(f.isFull()).toBe(true);
    expect(f.putKey(k("d"), 4, T0)).toBe(false);
    f.close();
  });

  test("rollbackTo forgets later entries and rebuilds slots that pointed at them", () => {
    const f = create(2, 64);
    for (let i = 0; i < 10; i++) f.putKey(k(`k${i % 3}`), i * 10, T0 + i * 1000);
    expect(f.hasSlotAtOrPast(11)).toBe(false);
    expect(f.hasSlotAtOrPast(6)).toBe(true);
    f.rollbackTo(6); // keep entries 1..5 (offsets 0..40)
    expect(f.hasSlotAtOrPast(6)).toBe(false);
    expect([f.indexCount, f.endPhyOffset]).toEqual([6, 40]);
    const out: number[] = [];
    f.selectPhyOffsets(out, k("k0"), 100, 0, Number.MAX_SAFE_INTEGER);
    expect(out).toEqual([30, 0]);
    f.putKey(k("k0"), 500, T0 + 20_000);
    const after: number[] = [];
    f.selectPhyOffsets(after, k("k0"), 100, 0, Number.MAX_SAFE_INTEGER);
    expect(after).toEqual([500, 30, 0]);
    f.close();
    const reopened = IndexFile.open(f.path, f.name, 2, 64)!;
    expect(reopened.indexCount).toBe(7);
    expect(IndexFile.open(f.path, f.name, 4, 64)).toBeNull(); // options changed
    reopened.close();
  });

  test("with populateWrite (pages mapped writable ahead) every entry is stored and read back, also after reopening", async () => {
    const io = openNativeIo();
    const dir = tempDir("idx");
    dirs.push(dir);
    const name = "20260101000000000";
    const entries = 120_000; // 2.4 MB of entries: more than one populate-ahead chunk
    const f = IndexFile.create(path.join(dir, name), name, 1000, entries, io.populateWrite);
    for (let i = 1; i < entries; i++) expect(f.putKey(k(`key-${i}`), i * 10, T0 + i)).toBe(true);
    expect(f.putKey(k("one-too-many"), 1, T0)).toBe(false);
    await f.flush();
    f.close();
    const g = IndexFile.open(path.join(dir, name), name, 1000, entries, io.populateWrite)!;
    expect(g.indexCount).toBe(entries);
    for (const i of [1, 52_000, 52_500, 104_900, entries - 1]) {
      const found: number[] = [];
      g.selectPhyOffsets(found, k(`key-${i}`), 64, 0, Number.MAX_SAFE_INTEGER);
      expect(found).toContain(i * 10);
    }
    g.close();
  });
});

describe("MessageIndex flush", () => {
  test("unmaps flushed entries, and all of a full file, while queries still find them", async () => {
    const io = openNativeIo();
    const dir = tempDir("idx-drop");
    dirs.push(dir);
    const index = new MessageIndex({
      dir,
      hashSlotNum: 64,
      indexNum: 60_000,
      clock: () => T0,
      populateWrite: io.populateWrite,
      dropPages: io.dropPages,
    });
    index.load();
    const prefix = indexKeyHashPrefix("T");
    // 59,999 entries fill the first file (entry 0 is unused), the rest go to a second one.
    for (let i = 0; i < 70_000; i++) index.buildIndex(prefix, i * 100, T0, 0, `key-${i}`, undefined);
    const rss = () => [...sharedMappingRss(dir).entries()].sort(([a], [b]) => a.localeCompare(b));
    const [[, fullBefore], [, activeBefore]] = rss() as [[string, number], [string, number]];
    expect(fullBefore).toBeGreaterThan(1_000_000);
    expect(activeBefore).toBeGreaterThan(200_000);
    await index.flush();
    const [[, fullAfter], [, activeAfter]] = rss() as [[string, number], [string, number]];
    expect(fullAfter).toBe(0);
    // The active file keeps its header and slots page and the pages from its next entry on.
    expect(activeAfter).toBeLessThanOrEqual(activeBefore - 10_000 * 20 + 2 * 4096);
    expect(index.query("T", "key-7", 4, 0, Number.MAX_SAFE_INTEGER)).toEqual([700]);
    expect(index.query("T", "key-65000", 4, 0, Number.MAX_SAFE_INTEGER)).toEqual([6_500_000]);
    index.close();
  });
});
