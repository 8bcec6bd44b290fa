import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openNativeIo, PAGE } from "./native-io.ts";
import { PagePopulator } from "./page-populator.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";
import { mappedBytes } from "./testdata/smaps.ts";

const io = openNativeIo();
const dir = tempDir("populate");
afterAll(() => removeDir(dir));

/** A fresh preallocated file of `size` bytes (its extents read as zeros and are not in the page cache) mapped. */
function mappedFile(name: string, size: number): { file: string; mapping: Uint8Array } {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, "w+");
  io.preallocate!(fd, 0, size);
  fs.closeSync(fd);
  return { file, mapping: Bun.mmap(file) };
}

async function until(what: string, ok: () => boolean, ms = 4_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(5);
  }
}

describe("PagePopulator", () => {
  test("its thread populates ahead of the writer; bytes written into the mapping reach the file", async () => {
    const { file, mapping } = mappedFile("ahead.bin", 8 * 1024 * 1024);
    const populator = new PagePopulator({ populateWrite: io.populateWrite!, aheadBytes: 4 * 1024 * 1024 });
    try {
      const region = populator.region(mapping, 0);
      expect(region.prepare(100)).toBe(true);
      expect(region.mark).toBeGreaterThanOrEqual(100);
      mapping.set([1, 2, 3], 97);
      // prepare() mapped 1 MiB itself and asked for 4 MiB ahead of byte 100: the thread maps the rest.
      await until("4 MiB are mapped", () => mappedBytes(mapping) >= 4 << 20);
      region.release();
      const onDisk = fs.readFileSync(file);
      expect([...onDisk.subarray(96, 101)]).toEqual([0, 1, 2, 3, 0]);
    } finally {
      populator.close();
    }
  });

  test("a write never passes the mark into a page that is not populated, whatever the record sizes", () => {
    const { mapping } = mappedFile("mark.bin", 3 * 1024 * 1024);
    // inline: everything happens on this thread, so what is resident after prepare() is its doing alone.
    const populator = new PagePopulator({
      populateWrite: io.populateWrite!,
      inline: true,
      aheadBytes: 1 << 20,
    });
    const start = 5000; // a recovered CommitLog goes on in the middle of a page
    const region = populator.region(mapping, start);
    const firstPage = Math.floor(start / PAGE) * PAGE;
    let pos = start;
    let calls = 0;
    while (pos < mapping.length - 10_000) {
      const end = pos + 1 + ((pos * 7919) % 9000);
      if (end > region.mark) {
        expect(region.prepare(end)).toBe(true);
        calls++;
        // Nothing but prepare() maps pages here, from the first one written on: all up to the mark must be.
        expect(mappedBytes(mapping)).toBeGreaterThanOrEqual(Math.ceil(region.mark / PAGE) * PAGE - firstPage);
      }
      expect(region.mark).toBeGreaterThanOrEqual(end);
      mapping[end - 1] = 7;
      pos = end;
    }
    // One madvise per MiB or so, not one per record.
    expect(calls).toBeLessThan(8);
    populator.close();
  });

  test("a refusal (pages past the end of the file) is reported, not a SIGBUS on the write", () => {
    const { file, mapping } = mappedFile("short.bin", 1024 * 1024);
    fs.truncateSync(file, 64 * 1024); // the file shrank under its mapping (as a full disk refuses a hole)
    const populator = new PagePopulator({ populateWrite: io.populateWrite!, aheadBytes: 1 << 20 });
    try {
      const region = populator.region(mapping, 0);
      expect(region.prepare(1000)).toBe(false);
      // Within the file it works.
      const inside = populator.region(mapping.subarray(0, 64 * 1024), 0);
      expect(inside.prepare(1000)).toBe(true);
    } finally {
      populator.close();
    }
  });

  test("after close() regions populate on the writer's thread", () => {
    const { mapping } = mappedFile("closed.bin", 2 * 1024 * 1024);
    const populator = new PagePopulator({ populateWrite: io.populateWrite!, aheadBytes: 1 << 20 });
    populator.close();
    const region = populator.region(mapping, 0);
    expect(region.prepare(300_000)).toBe(true);
    expect(mappedBytes(mapping)).toBeGreaterThanOrEqual(Math.ceil(300_000 / PAGE) * PAGE);
  });
});
