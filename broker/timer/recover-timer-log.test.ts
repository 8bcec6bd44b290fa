import { afterEach, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverTimerLog } from "./recover-timer-log.ts";
import { segmentFileName, TimerLog } from "./timer-log.ts";
import { encodeTimerRecord, TIMER_RECORD_SIZE, TimerRecordKind } from "./timer-record.ts";

const R = TIMER_RECORD_SIZE;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes `count` progress records (slotMs = index) into segments of `perSegment` records. */
async function writeLog(count: number, perSegment = 100): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "timer-recover-"));
  dirs.push(dir);
  const log = new TimerLog({ dir, segmentBytes: R * perSegment, syncFlush: true, flushIntervalMs: 50 }, []);
  for (let i = 0; i < count; i++) {
    log.append((bytes, view, off, pos) =>
      encodeTimerRecord(bytes, view, off, { kind: TimerRecordKind.PROGRESS, pos, slotMs: i, doneInSlot: 0 }),
    );
  }
  await log.close();
  return dir;
}

function seg(dir: string, base: number): string {
  return join(dir, segmentFileName(base));
}

function flipByte(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at]! ^= 0xff;
  writeFileSync(path, bytes);
}

describe("recoverTimerLog", () => {
  test("keeps an intact log as it is", async () => {
    const dir = await writeLog(10, 4);
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBeUndefined();
    expect(r.segments.map((s) => [s.base, s.length])).toEqual([
      [0, 4 * R],
      [4 * R, 4 * R],
      [8 * R, 2 * R],
    ]);
  });

  test("cuts a torn partial record off the tail", async () => {
    const dir = await writeLog(5);
    const path = seg(dir, 0);
    writeFileSync(path, readFileSync(path).subarray(0, 4 * R + 37));
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBe(4 * R);
    expect(r.droppedBytes).toBe(37);
    expect(statSync(path).size).toBe(4 * R);
  });

  test("cuts a last record with a bad CRC, and zero-filled or garbage bytes after the end", async () => {
    const dir = await writeLog(5);
    const path = seg(dir, 0);
    flipByte(path, 4 * R + 40);
    appendFileSync(path, new Uint8Array(3 * R));
    appendFileSync(path, Buffer.from("garbage that is not a record".repeat(5)));
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBe(4 * R);
    expect(statSync(path).size).toBe(4 * R);
    expect(recoverTimerLog(dir).truncatedAt).toBeUndefined();
  });

  test("a corrupt record in the middle ends the log there, later segments included", async () => {
    const dir = await writeLog(10, 4);
    flipByte(seg(dir, 4 * R), R + 10);
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBe(5 * R);
    expect(r.droppedBytes).toBe(3 * R + 2 * R);
    expect(readdirSync(dir).sort()).toEqual([segmentFileName(0), segmentFileName(4 * R)]);
    expect(statSync(seg(dir, 4 * R)).size).toBe(R);
  });

  test("a segment that does not start where the previous ended is dropped", async () => {
    const dir = await writeLog(6, 4);
    // The first segment lost its tail (its size was never synced) while the next one was written.
    writeFileSync(seg(dir, 0), readFileSync(seg(dir, 0)).subarray(0, 3 * R));
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBe(3 * R);
    expect(existsSync(seg(dir, 4 * R))).toBe(false);
    expect(r.segments.map((s) => [s.base, s.length])).toEqual([[0, 3 * R]]);
  });

  test("a record copied from another position is not valid here", async () => {
    const dir = await writeLog(3);
    const path = seg(dir, 0);
    const bytes = readFileSync(path);
    bytes.copy(bytes, 2 * R, 0, R);
    writeFileSync(path, bytes);
    expect(recoverTimerLog(dir).truncatedAt).toBe(2 * R);
  });

  test("appends continue right after the cut", async () => {
    const dir = await writeLog(5);
    writeFileSync(seg(dir, 0), readFileSync(seg(dir, 0)).subarray(0, 3 * R + 5));
    const log = new TimerLog(
      { dir, segmentBytes: 100 * R, syncFlush: true, flushIntervalMs: 50 },
      recoverTimerLog(dir).segments,
    );
    const pos = log.append((bytes, view, off, at) =>
      encodeTimerRecord(bytes, view, off, {
        kind: TimerRecordKind.PROGRESS,
        pos: at,
        slotMs: 77,
        doneInSlot: 1,
      }),
    );
    expect(pos).toBe(3 * R);
    await log.close();
    const r = recoverTimerLog(dir);
    expect(r.truncatedAt).toBeUndefined();
    expect(r.segments[0]!.length).toBe(4 * R);
  });

  test("creates the directory on first start", () => {
    const root = mkdtempSync(join(tmpdir(), "timer-recover-"));
    dirs.push(root);
    const dir = join(root, "nested", "timerlog");
    expect(recoverTimerLog(dir)).toEqual({ segments: [], truncatedAt: undefined, droppedBytes: 0 });
  });
});
