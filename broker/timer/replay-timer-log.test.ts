import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recoverTimerLog } from "./recover-timer-log.ts";
import { replayTimerLog } from "./replay-timer-log.ts";
import { TimerLog } from "./timer-log.ts";
import { encodeTimerRecord, TIMER_RECORD_SIZE, type TimerRecord, TimerRecordKind } from "./timer-record.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Step =
  | { schedule: number; slotMs: number; copyOf?: number }
  | { cancel: number }
  | { progress: number; done: number };

/** Writes the steps as records (schedule ids are their positions unless copyOf) and replays the log. */
async function replay(steps: Step[]) {
  const dir = mkdtempSync(join(tmpdir(), "timer-replay-"));
  dirs.push(dir);
  const log = new TimerLog(
    { dir, segmentBytes: TIMER_RECORD_SIZE * 3, syncFlush: true, flushIntervalMs: 50 },
    [],
  );
  for (const s of steps) {
    log.append((bytes, view, off, pos) => {
      let r: TimerRecord;
      if ("schedule" in s) {
        r = {
          kind: TimerRecordKind.SCHEDULE,
          pos,
          id: s.copyOf ?? pos,
          slotMs: s.slotMs,
          deliverAtMs: s.schedule,
          commitLogOffset: 1000 + (s.copyOf ?? pos),
          size: 10,
          queueId: 0,
          key: "",
        };
      } else if ("cancel" in s) {
        r = { kind: TimerRecordKind.CANCEL, pos, id: s.cancel, slotMs: 0 };
      } else {
        r = { kind: TimerRecordKind.PROGRESS, pos, slotMs: s.progress, doneInSlot: s.done };
      }
      encodeTimerRecord(bytes, view, off, r);
    });
  }
  await log.close();
  return replayTimerLog(recoverTimerLog(dir).segments);
}

const R = TIMER_RECORD_SIZE;
const ids = (r: Awaited<ReturnType<typeof replay>>) => r.pending.map((e) => e.id).sort((a, b) => a - b);

describe("replayTimerLog", () => {
  test("with no progress every schedule is pending", async () => {
    const r = await replay([
      { schedule: 5, slotMs: 10 },
      { schedule: 25, slotMs: 30 },
    ]);
    expect(r.progress).toBeUndefined();
    expect(ids(r)).toEqual([0, R]);
    expect(r.pending.find((e) => e.id === R)).toMatchObject({
      deliverAtMs: 25,
      slotMs: 30,
      commitLogOffset: 1000 + R,
    });
  });

  test("progress covers earlier slots and the first entries of its slot in deliverAt order", async () => {
    const r = await replay([
      { schedule: 5, slotMs: 10 }, // id 0
      { schedule: 19, slotMs: 20 }, // id 96
      { schedule: 12, slotMs: 20 }, // id 192
      { schedule: 15, slotMs: 20 }, // id 288
      { schedule: 31, slotMs: 40 }, // id 384
      { progress: 20, done: 2 }, // slot 10 and deliverAt 12, 15 of slot 20
    ]);
    expect(r.progress).toEqual({ slotMs: 20, doneInSlot: 2, pos: 5 * R });
    expect(ids(r)).toEqual([R, 4 * R]);
  });

  test("only the last progress counts, and cancelled timers are gone", async () => {
    const r = await replay([
      { schedule: 5, slotMs: 10 },
      { schedule: 6, slotMs: 10 },
      { schedule: 7, slotMs: 10 },
      { progress: 10, done: 1 },
      { cancel: 2 * R },
      { progress: 10, done: 2 },
    ]);
    expect(ids(r)).toEqual([]);
  });

  test("a timer copied forward counts once, from its latest copy", async () => {
    const r = await replay([
      { schedule: 500, slotMs: 500 }, // id 0
      { schedule: 600, slotMs: 600 }, // id 96
      { schedule: 500, slotMs: 500, copyOf: 0 }, // pos 192
      { schedule: 500, slotMs: 500, copyOf: 0 }, // pos 288
    ]);
    expect(ids(r)).toEqual([0, R]);
    expect(r.pending.find((e) => e.id === 0)!.pos).toBe(3 * R);
  });

  test("a cancel removes a timer whatever copy of it survives", async () => {
    const r = await replay([
      { schedule: 500, slotMs: 500 },
      { schedule: 500, slotMs: 500, copyOf: 0 },
      { cancel: 0 },
    ]);
    expect(ids(r)).toEqual([]);
  });
});
