import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverTimerLog } from "./recover-timer-log.ts";
import { segmentFileName, TimerLog, type TimerLogOptions } from "./timer-log.ts";
import { encodeTimerRecord, TIMER_RECORD_SIZE, TimerRecordKind } from "./timer-record.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "timer-log-"));
  dirs.push(d);
  return d;
}

function openLog(dir: string, options: Partial<TimerLogOptions> = {}): TimerLog {
  mkdirSync(dir, { recursive: true });
  const o: TimerLogOptions = {
    dir,
    segmentBytes: TIMER_RECORD_SIZE * 4,
    syncFlush: true,
    flushIntervalMs: 50,
    ...options,
  };
  return new TimerLog(o, recoverTimerLog(dir).segments);
}

function appendProgress(log: TimerLog, slotMs: number): number {
  return log.append((bytes, view, off, pos) =>
    encodeTimerRecord(bytes, view, off, { kind: TimerRecordKind.PROGRESS, pos, slotMs, doneInSlot: 0 }),
  );
}

describe("timer log", () => {
  test("gives consecutive positions and makes a batch durable with one ack", async () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: TIMER_RECORD_SIZE * 100 });
    const positions = [1, 2, 3].map((s) => appendProgress(log, s));
    expect(positions).toEqual([0, 96, 192]);
    await log.acked(log.end);
    expect(readFileSync(join(dir, segmentFileName(0))).length).toBe(3 * TIMER_RECORD_SIZE);
    await log.close();
  });

  test("rolls to a new segment named by its 20-digit start position when one is full", async () => {
    const dir = tempDir();
    const log = openLog(dir);
    for (let i = 0; i < 10; i++) appendProgress(log, i);
    await log.acked(log.end);
    expect(readdirSync(dir).sort()).toEqual([
      "00000000000000000000",
      "00000000000000000384",
      "00000000000000000768",
    ]);
    expect(log.segmentList()).toEqual([
      { base: 0, length: 384 },
      { base: 384, length: 384 },
      { base: 768, length: 192 },
    ]);
    expect(log.segmentBaseOf(383)).toBe(0);
    expect(log.segmentBaseOf(384)).toBe(384);
    expect(log.segmentBaseOf(900)).toBe(768);
    await log.close();
    const again = openLog(dir);
    expect(again.end).toBe(960);
    expect(appendProgress(again, 99)).toBe(960);
    await again.close();
  });

  test("drops the head segment but never the active one", async () => {
    const dir = tempDir();
    const log = openLog(dir);
    for (let i = 0; i < 5; i++) appendProgress(log, i);
    await log.acked(log.end);
    log.dropHead();
    expect(existsSync(join(dir, segmentFileName(0)))).toBe(false);
    log.dropHead();
    expect(log.segmentList()).toEqual([{ base: 384, length: 96 }]);
    await log.close();
    expect(recoverTimerLog(dir).segments.map((s) => [s.base, s.length])).toEqual([[384, 96]]);
  });

  test("without syncFlush acknowledges after the write and still syncs on close", async () => {
    const dir = tempDir();
    const log = openLog(dir, { syncFlush: false, segmentBytes: TIMER_RECORD_SIZE * 100 });
    for (let i = 0; i < 50; i++) appendProgress(log, i);
    await log.acked(log.end);
    await log.close();
    expect(recoverTimerLog(dir).segments[0]!.length).toBe(50 * TIMER_RECORD_SIZE);
  });

  test("refuses appends after close", async () => {
    const log = openLog(tempDir());
    await log.close();
    expect(() => appendProgress(log, 1)).toThrow("timer log is closed");
  });
});
