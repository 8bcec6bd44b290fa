import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { openNativeIo, PAGE } from "./native-io.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";
import { mappedBytes } from "./testdata/smaps.ts";

const io = openNativeIo();
const dir = tempDir("native-io");
afterAll(() => removeDir(dir));

describe("native-io dropPages", () => {
  test("unmaps whole pages only, and written bytes, flushed or not, stay in the file", () => {
    const file = path.join(dir, "drop.bin");
    const fd = fs.openSync(file, "w+");
    io.preallocate!(fd, 0, 64 * PAGE);
    const mapping = Bun.mmap(file);
    expect(io.populateWrite!(mapping, 0, 64 * PAGE)).toBe(true);
    expect(mappedBytes(mapping)).toBe(64 * PAGE);
    mapping.fill(7, 0, 10 * PAGE + 100); // never flushed: only the page cache has these bytes
    // From the middle of page 2 to the middle of page 10: pages 3-9 go, 2 and 10 (partly in the range) stay.
    io.dropPages!(mapping, 2 * PAGE + 1, 8 * PAGE);
    expect(mappedBytes(mapping)).toBe(57 * PAGE);
    io.dropPages!(mapping, 0, 64 * PAGE);
    expect(mappedBytes(mapping)).toBe(0);
    const onDisk = fs.readFileSync(file);
    expect(onDisk.subarray(0, 10 * PAGE + 100).every((b) => b === 7)).toBe(true);
    expect(onDisk[10 * PAGE + 100]).toBe(0);
    // The mapping still works: an access maps the page again, with the file's bytes.
    expect(mapping[5 * PAGE]).toBe(7);
    fs.closeSync(fd);
  });

  test("a range that runs to the end of a mapping whose file ends mid-page takes that last page too", () => {
    const file = path.join(dir, "odd.bin");
    fs.writeFileSync(file, new Uint8Array(3 * PAGE + 100).fill(9));
    const mapping = Bun.mmap(file);
    expect(io.populateWrite!(mapping, 0, mapping.byteLength)).toBe(true);
    expect(mappedBytes(mapping)).toBe(4 * PAGE);
    io.dropPages!(mapping, PAGE, mapping.byteLength);
    expect(mappedBytes(mapping)).toBe(PAGE);
    expect(mapping[3 * PAGE + 99]).toBe(9);
  });
});
