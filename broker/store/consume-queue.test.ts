import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConsumeQueue, CQ_STORE_UNIT_SIZE } from "./consume-queue.ts";
import { segmentFileName } from "./mapped-file-queue.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function open(dir: string, unitsPerFile = 8): ConsumeQueue {
  const cq = new ConsumeQueue(dir, "TopicA", 3, unitsPerFile);
  cq.load();
  cq.recover();
  return cq;
}

function fresh(): { dir: string; cq: ConsumeQueue } {
  const dir = tempDir("cq");
  dirs.push(dir);
  return { dir, cq: open(dir) };
}

/** Unit q points at CommitLog offset q*100, size 100, tagsCode q-5 (negative codes must survive). */
function fill(cq: ConsumeQueue, from: number, to: number): void {
  for (let q = from; q < to; q++) cq.put(q, q * 100, 100, q - 5);
}

describe("ConsumeQueue", () => {
  test("stores 20-byte units at queueOffset*20 across files of unitsPerFile units", () => {
    const { dir, cq } = fresh();
    fill(cq, 0, 20);
    expect(cq.maxOffset).toBe(20);
    expect(cq.unit(13)).toEqual({ commitLogOffset: 1300, size: 100, tagsCode: 8 });
    expect(cq.unit(2)!.tagsCode).toBe(-3);
    expect(cq.unit(20)).toBeNull();
    const files = fs.readdirSync(path.join(dir, "TopicA", "3")).sort();
    expect(files).toEqual([segmentFileName(0), segmentFileName(160), segmentFileName(320)]);
    const raw = fs.readFileSync(path.join(dir, "TopicA", "3", segmentFileName(160)));
    const view = new DataView(raw.buffer, raw.byteOffset);
    expect(raw.length).toBe(8 * CQ_STORE_UNIT_SIZE);
    expect(view.getBigInt64(0)).toBe(800n);
    expect(view.getInt32(8)).toBe(100);
    expect(view.getBigInt64(12)).toBe(3n);
    cq.close();
  });

  test("recovers min and max offsets from the files after a restart", () => {
    const { dir, cq } = fresh();
    fill(cq, 0, 19);
    cq.close();
    const again = open(dir);
    expect([again.minOffset, again.maxOffset]).toEqual([0, 19]);
    again.close();
  });

  test("truncateDirty drops units whose record lies past the CommitLog end, and a hole at the end", () => {
    const { dir, cq } = fresh();
    fill(cq, 0, 12);
    cq.put(14, 1400, 100, 0); // a unit after a hole, as an unflushed page could leave it
    cq.truncateDirty(1000); // records from offset 1000 on are gone
    expect(cq.maxOffset).toBe(10);
    expect(cq.unit(10)).toBeNull();
    expect(cq.unit(14)).toBeNull();
    cq.put(10, 5000, 50, 0);
    expect(cq.maxOffset).toBe(11);
    cq.close();
    const again = open(dir);
    expect(again.maxOffset).toBe(11);
    again.close();
  });

  test("deleteExpired removes whole files below the CommitLog minimum and moves minOffset", () => {
    const { dir, cq } = fresh();
    fill(cq, 0, 20);
    expect(cq.deleteExpired(1050)).toBe(1); // file 0 (units 0..7) points below 1050, file 1 does not
    expect(cq.minOffset).toBe(11);
    expect(fs.readdirSync(path.join(dir, "TopicA", "3")).length).toBe(2);
    cq.close();
    const again = open(dir);
    again.deleteExpired(1050);
    expect([again.minOffset, again.maxOffset]).toEqual([11, 20]);
    again.close();
  });

  test("a queue may start mid-way (a replica starting from a master's later segment)", () => {
    const { dir, cq } = fresh();
    fill(cq, 21, 25);
    expect([cq.minOffset, cq.maxOffset]).toEqual([21, 25]);
    cq.close();
    const again = open(dir);
    expect([again.minOffset, again.maxOffset]).toEqual([21, 25]);
    again.close();
  });
});
