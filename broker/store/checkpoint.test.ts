import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CHECKPOINT_FILE_SIZE,
  CheckpointFile,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  type StoreCheckpoint,
} from "./checkpoint.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

const sample: StoreCheckpoint = {
  physicMsgTimestamp: 1_700_000_000_001,
  logicsMsgTimestamp: 1_700_000_000_002,
  indexMsgTimestamp: 1_700_000_000_003,
  masterFlushedOffset: 0,
  confirmPhyOffset: 2 ** 40 + 1,
  physicFlushedOffset: 2 ** 40 + 1,
  logicsOffset: 2 ** 40 - 7,
  indexOffset: 2 ** 40 - 7,
  scanFromOffset: 2 ** 40 - 300,
  index: { fileName: "20261124223222472", indexCount: 12345 },
};

describe("checkpoint", () => {
  test("round-trips through one 4 KiB page with RocketMQ's fields first", () => {
    const bytes = encodeCheckpoint(sample);
    expect(bytes.length).toBe(CHECKPOINT_FILE_SIZE);
    const view = new DataView(bytes.buffer);
    expect(view.getBigInt64(0)).toBe(1_700_000_000_001n);
    expect(view.getBigInt64(32)).toBe(BigInt(2 ** 40 + 1));
    expect(decodeCheckpoint(bytes)).toEqual(sample);
  });

  test("a flipped byte or a foreign file is reported, not trusted", () => {
    const bytes = encodeCheckpoint(sample);
    bytes[60]! ^= 1;
    expect(decodeCheckpoint(bytes)).toBe("checkpoint CRC mismatch");
    expect(decodeCheckpoint(new Uint8Array(4096))).toBe("checkpoint has no bunmq magic");
    expect(decodeCheckpoint(new Uint8Array(10))).toMatch(/10 bytes/);
  });

  test("readCheckpoint: null when missing, the checkpoint after a write", async () => {
    const dir = tempDir("cp");
    dirs.push(dir);
    const file = path.join(dir, "checkpoint");
    expect(readCheckpoint(file)).toBeNull();
    const cp = new CheckpointFile(file);
    await cp.write(sample);
    await cp.write({ ...sample, logicsOffset: 5 });
    cp.close();
    expect(fs.statSync(file).size).toBe(CHECKPOINT_FILE_SIZE);
    expect(readCheckpoint(file)).toEqual({ ...sample, logicsOffset: 5 });
  });
});
