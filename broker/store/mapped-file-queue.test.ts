import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import { MappedFileQueue, segmentFileName } from "./mapped-file-queue.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function queue(size = 4096): MappedFileQueue {
  const dir = tempDir("mfq");
  dirs.push(dir);
  return new MappedFileQueue(path.join(dir, "log"), size, null);
}

describe("MappedFileQueue", () => {
  test("names files by their 20-digit start offset and finds the file holding an offset", () => {
    const q = queue();
    q.load();
    q.getOrCreate(0);
    q.getOrCreate(9000); // creates the missing file in between too
    expect(fs.readdirSync(q.dir).sort()).toEqual([
      segmentFileName(0),
      segmentFileName(4096),
      segmentFileName(8192),
    ]);
    expect(segmentFileName(4096)).toBe("00000000000000004096");
    expect(q.findByOffset(4095)!.fileFromOffset).toBe(0);
    expect(q.findByOffset(8192)!.fileFromOffset).toBe(8192);
    expect(q.findByOffset(12288)).toBeUndefined();
    expect(fs.statSync(path.join(q.dir, segmentFileName(0))).size).toBe(4096);
    q.close();
  });

  test("reloads files, extends a short last file, and may start at a later segment", () => {
    const q = queue();
    q.load();
    q.create(8192);
    q.create(12288);
    q.close();
    fs.truncateSync(path.join(q.dir, segmentFileName(12288)), 100);
    const again = new MappedFileQueue(q.dir, 4096, null);
    again.load();
    expect(again.minOffset()).toBe(8192);
    expect(again.files.map((f) => f.fileFromOffset)).toEqual([8192, 12288]);
    expect(fs.statSync(path.join(q.dir, segmentFileName(12288))).size).toBe(4096);
    again.close();
  });

  test("refuses a gap, a wrong-sized middle file and a misaligned name", () => {
    const cases: Array<(dir: string) => void> = [
      (dir) => fs.rmSync(path.join(dir, segmentFileName(4096))),
      (dir) => fs.truncateSync(path.join(dir, segmentFileName(0)), 10),
      (dir) => fs.writeFileSync(path.join(dir, segmentFileName(100)), ""),
    ];
    for (const damage of cases) {
      const q = queue();
      q.load();
      q.getOrCreate(0);
      q.getOrCreate(9000);
      q.close();
      damage(q.dir);
      const again = new MappedFileQueue(q.dir, 4096, null);
      expect(() => again.load()).toThrow(MqError);
      again.close();
    }
  });

  test("truncateFrom deletes later files and zeroes the tail of the holder", () => {
    const q = queue();
    q.load();
    const f0 = q.getOrCreate(0);
    q.getOrCreate(5000);
    f0.write(new Uint8Array(4096).fill(9), 0, 4096, 0);
    q.truncateFrom(1000);
    expect(q.files.length).toBe(1);
    const back = new Uint8Array(4096);
    f0.read(0, 4096, back);
    expect(back.subarray(0, 1000).every((b) => b === 9)).toBe(true);
    expect(back.subarray(1000).every((b) => b === 0)).toBe(true);
    expect(fs.statSync(f0.path).size).toBe(4096);
    q.close();
  });
});
