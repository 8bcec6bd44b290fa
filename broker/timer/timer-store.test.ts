import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import {
  createTimerStore,
  type TimerEntry,
  type TimerSchedule,
  type TimerStore,
  type TimerStoreOptions,
} from "./index.ts";
import { segmentFileName } from "./timer-log.ts";
import { TIMER_RECORD_SIZE } from "./timer-record.ts";

const dirs: string[] = [];
const stores: TimerStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "timer-store-"));
  dirs.push(d);
  return d;
}

/** A hand-driven clock: tests move `now` and call deliverDue(). */
function manualClock(start = 1_800_000_000_000) {
  const c = { now: start, read: () => c.now };
  return c;
}

async function open(dir: string, options: Partial<TimerStoreOptions> = {}): Promise<TimerStore> {
  const s = await createTimerStore({ dir, ...options });
  stores.push(s);
  return s;
}

async function closeStore(s: TimerStore): Promise<void> {
  stores.splice(stores.indexOf(s), 1);
  await s.close();
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

async function rejection(p: Promise<unknown>): Promise<MqError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    return err as MqError;
  }
  throw new Error("expected a rejection");
}

/** Records what the handler got, checking at call time that nothing came early. */
function collect(store: TimerStore, clock: () => number) {
  const got: TimerEntry[] = [];
  const early: TimerEntry[] = [];
  store.onDue(async (entries) => {
    const now = clock();
    for (const e of entries) {
      if (e.deliverAtMs > now) early.push(e);
      got.push(e);
    }
  });
  return { got, early };
}

describe("timer store", () => {
  test("delivers in deliverAt order and never before deliverAtMs (injected clock)", async () => {
    const clock = manualClock();
    const store = await open(tempDir(), { clock: clock.read, precisionMs: 10 });
    const base = clock.now;
    const times = Array.from({ length: 400 }, (_, i) => base + 1 + ((i * 7919) % 1000));
    await Promise.all(times.map((t, i) => store.schedule({ deliverAtMs: t, commitLogOffset: i, size: 100 })));
    const { got, early } = collect(store, clock.read);
    for (let t = base; t <= base + 1010; t += 3) {
      clock.now = t;
      await store.deliverDue();
      expect(got.every((e) => e.deliverAtMs <= t)).toBe(true);
    }
    expect(early).toEqual([]);
    expect(got.map((e) => e.deliverAtMs)).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(got.map((e) => e.commitLogOffset)).size).toBe(400);
    expect(store.stats().pending).toBe(0);
  });

  test("a delivery time in the past is due at once", async () => {
    const clock = manualClock();
    const store = await open(tempDir(), { clock: clock.read });
    const { got } = collect(store, clock.read);
    await store.schedule({ deliverAtMs: clock.now - 60_000, commitLogOffset: 7, size: 1 });
    await store.deliverDue();
    expect(got.map((e) => e.commitLogOffset)).toEqual([7]);
  });

  test("fires a 300 ms timer in real time, not earlier", async () => {
    const store = await open(tempDir());
    let firedAt = 0;
    store.onDue(async () => {
      firedAt = Date.now();
    });
    const deliverAtMs = Date.now() + 300;
    await store.schedule({ deliverAtMs, commitLogOffset: 1, size: 1 });
    await waitFor(() => firedAt > 0, 5000);
    expect(firedAt).toBeGreaterThanOrEqual(deliverAtMs);
  });

  test("refuses a far-future time with MESSAGE_ILLEGAL and bad input with INVALID_PARAMETER", async () => {
    const clock = manualClock();
    const store = await open(tempDir(), { clock: clock.read, maxDelayMs: 3 * 86_400_000 });
    const far = await rejection(
      store.schedule({ deliverAtMs: clock.now + 3 * 86_400_000 + 1, commitLogOffset: 0, size: 1 }),
    );
    expect(far.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(far.message).toContain("beyond the maximum delay of 259200000 ms (timerMaxDelaySec 259200)");
    const bad = [
      { deliverAtMs: Number.NaN, commitLogOffset: 0, size: 1 },
      { deliverAtMs: -5, commitLogOffset: 0, size: 1 },
      { deliverAtMs: 1.5, commitLogOffset: 0, size: 1 },
      { deliverAtMs: clock.now, commitLogOffset: -1, size: 1 },
      { deliverAtMs: clock.now, commitLogOffset: 0, size: 0 },
      { deliverAtMs: clock.now, commitLogOffset: 0, size: 1, queueId: 2 ** 31 },
      { deliverAtMs: clock.now, commitLogOffset: 0, size: 1, key: "k".repeat(41) },
    ];
    for (const request of bad) {
      const err = await rejection(store.schedule(request));
      expect(err.code).toBe(ResponseCode.INVALID_PARAMETER);
      expect(err.message).toMatch(/^timer (deliverAtMs|commitLogOffset|size|queueId|key) must/);
    }
    const missing = await rejection(store.schedule(null as unknown as TimerSchedule));
    expect([missing.code, missing.message]).toEqual([
      ResponseCode.INVALID_PARAMETER,
      "timer schedule needs a request object",
    ]);
    await store.schedule({
      deliverAtMs: clock.now + 3 * 86_400_000,
      commitLogOffset: 9,
      size: 1,
      key: "k".repeat(40),
    });
    expect(store.stats().pending).toBe(1);
  });

  test("rejects bad options with a clear error", async () => {
    const err = await rejection(createTimerStore({ dir: tempDir(), segmentBytes: 1000 }));
    expect(err.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(err.message).toContain("segmentBytes must be a multiple of 96");
    expect((await rejection(createTimerStore({}))).message).toContain("dir is required");
  });

  test("keeps everything scheduled across close and reopen, then fires it", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await open(dir, { clock: clock.read, segmentBytes: TIMER_RECORD_SIZE * 64 });
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        first.schedule({
          deliverAtMs: clock.now + 1000 + i,
          commitLogOffset: i * 10,
          size: 10,
          queueId: i % 4,
          key: `K${i}`,
        }),
      ),
    );
    await closeStore(first);
    const second = await open(dir, { clock: clock.read, segmentBytes: TIMER_RECORD_SIZE * 64 });
    expect(second.stats()).toMatchObject({ pending: 500, oldestPendingDeliverAtMs: clock.now + 1000 });
    const { got } = collect(second, clock.read);
    clock.now += 2000;
    await second.deliverDue();
    expect(got.length).toBe(500);
    expect(got[499]).toEqual({
      id: 499 * TIMER_RECORD_SIZE,
      deliverAtMs: clock.now - 1000 + 499,
      commitLogOffset: 4990,
      size: 10,
      queueId: 3,
      key: "K499",
    });
  });

  test("does not deliver again after a restart what was delivered before it", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await open(dir, { clock: clock.read });
    const start = clock.now;
    for (let i = 0; i < 100; i++)
      await first.schedule({ deliverAtMs: start + 10 * i + 3, commitLogOffset: i, size: 1 });
    const before = collect(first, clock.read);
    clock.now = start + 500;
    await first.deliverDue();
    expect(before.got.length).toBe(50);
    await closeStore(first);
    const second = await open(dir, { clock: clock.read });
    expect(second.stats().pending).toBe(50);
    const after = collect(second, clock.read);
    clock.now = start + 2000;
    await second.deliverDue();
    expect(after.got.map((e) => e.commitLogOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
  });

  test("a batch whose delivery was never recorded comes again after a restart, and only that batch", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const errors: MqError[] = [];
    const first = await open(dir, {
      clock: clock.read,
      maxBatch: 10,
      retryDelayMs: 60_000,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 30; i++)
      await first.schedule({ deliverAtMs: clock.now, commitLogOffset: i, size: 1 });
    let calls = 0;
    first.onDue(async () => {
      calls++;
      if (calls === 2) throw new Error("broker could not re-put");
    });
    await waitFor(() => errors.length === 1);
    expect(errors[0]!.message).toContain(
      "timer handler failed, retrying 10 entries: Error: broker could not re-put",
    );
    expect(first.stats()).toMatchObject({ pending: 20, inFlight: 10 });
    await closeStore(first);
    const second = await open(dir, { clock: clock.read, maxBatch: 10 });
    // A newcomer for the partly delivered slot goes after it and must not shift the recorded count.
    await second.schedule({ deliverAtMs: clock.now, commitLogOffset: 99, size: 1 });
    const { got } = collect(second, clock.read);
    await second.deliverDue();
    expect(got.length).toBe(20);
    clock.now += 1; // its slot is the one just after the closed slot
    await second.deliverDue();
    expect(got.map((e) => e.commitLogOffset)).toEqual([...Array.from({ length: 20 }, (_, i) => 10 + i), 99]);
    await closeStore(second);
    const third = await open(dir, { clock: clock.read });
    expect(third.stats().pending).toBe(0);
  });

  test("without syncFlush still keeps what was scheduled across a clean close", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await open(dir, { clock: clock.read, syncFlush: false, flushIntervalMs: 20 });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        first.schedule({ deliverAtMs: clock.now + i, commitLogOffset: i, size: 1 }),
      ),
    );
    await closeStore(first);
    const second = await open(dir, { clock: clock.read });
    expect(second.stats().pending).toBe(50);
  });

  test("hands a failed batch again until the handler succeeds", async () => {
    const clock = manualClock();
    const errors: MqError[] = [];
    const store = await open(tempDir(), {
      clock: clock.read,
      retryDelayMs: 5,
      onError: (e) => errors.push(e),
    });
    await store.schedule({ deliverAtMs: clock.now, commitLogOffset: 1, size: 1 });
    const seen: number[] = [];
    store.onDue(async (entries) => {
      seen.push(...entries.map((e) => e.commitLogOffset));
      if (seen.length < 3) throw new Error("not yet");
    });
    await waitFor(() => store.stats().pending === 0);
    expect(seen).toEqual([1, 1, 1]);
    expect(errors.length).toBe(2);
  });

  test("cancels a pending timer by key durably; a delivered or unknown one is not cancelled", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await open(dir, { clock: clock.read });
    const t = clock.now + 5000;
    await first.schedule({ deliverAtMs: t, commitLogOffset: 1, size: 1, key: "A" });
    await first.schedule({ deliverAtMs: t, commitLogOffset: 2, size: 1, key: "B" });
    await first.schedule({ deliverAtMs: t + 1, commitLogOffset: 3, size: 1, key: "C" });
    await first.schedule({ deliverAtMs: clock.now, commitLogOffset: 4, size: 1, key: "D" });
    expect(await first.cancel({ key: "A", deliverAtMs: t })).toBe(true);
    expect(await first.cancel({ key: "A", deliverAtMs: t })).toBe(false);
    expect(await first.cancel({ key: "C" })).toBe(true);
    expect(await first.cancel({ key: "B", deliverAtMs: t + 1 })).toBe(false);
    expect(await first.cancel({ key: "nope", deliverAtMs: t })).toBe(false);
    const early = collect(first, clock.read);
    await first.deliverDue();
    expect(early.got.map((e) => e.key)).toEqual(["D"]);
    expect(await first.cancel({ key: "D" })).toBe(false);
    expect((await rejection(first.cancel({ key: "" }))).code).toBe(ResponseCode.INVALID_PARAMETER);
    await closeStore(first);
    const second = await open(dir, { clock: clock.read });
    expect(second.stats().pending).toBe(1);
    const { got } = collect(second, clock.read);
    clock.now = t + 100;
    await second.deliverDue();
    expect(got.map((e) => e.key)).toEqual(["B"]);
  });

  test("compacts old segments: live timers are copied forward and survive a restart once", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const options = { clock: clock.read, segmentBytes: TIMER_RECORD_SIZE * 8 };
    const first = await open(dir, options);
    const start = clock.now;
    // Every tenth timer is far out; the rest are delivered soon, leaving old segments mostly dead.
    for (let i = 0; i < 200; i++) {
      const far = i % 10 === 0;
      await first.schedule({
        deliverAtMs: start + (far ? 100_000 + i : 10 + i),
        commitLogOffset: i,
        size: 1,
      });
    }
    const segmentsBefore = readdirSync(join(dir, "timerlog")).length;
    const early = collect(first, clock.read);
    for (let t = start; t <= start + 300; t += 20) {
      clock.now = t;
      await first.deliverDue();
    }
    expect(early.got.length).toBe(180);
    const segmentsAfter = readdirSync(join(dir, "timerlog")).length;
    expect(segmentsAfter).toBeLessThan(segmentsBefore / 2);
    expect(readdirSync(join(dir, "timerlog"))).not.toContain(segmentFileName(0));
    expect(first.stats().pending).toBe(20);
    await closeStore(first);
    const second = await open(dir, options);
    expect(second.stats().pending).toBe(20);
    const late = collect(second, clock.read);
    clock.now = start + 200_000;
    await second.deliverDue();
    expect(late.got.map((e) => e.commitLogOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
  });

  test("cuts a torn tail on open and keeps working after it", async () => {
    const dir = tempDir();
    const clock = manualClock();
    const first = await open(dir, { clock: clock.read });
    for (let i = 0; i < 10; i++)
      await first.schedule({ deliverAtMs: clock.now + 100, commitLogOffset: i, size: 1 });
    await closeStore(first);
    appendFileSync(
      join(dir, "timerlog", segmentFileName(0)),
      Buffer.from("\u0001half a record from a crash"),
    );
    const second = await open(dir, { clock: clock.read });
    expect(second.stats()).toMatchObject({ pending: 10, logBytes: 10 * TIMER_RECORD_SIZE });
    const entry = await second.schedule({ deliverAtMs: clock.now + 100, commitLogOffset: 10, size: 1 });
    expect(entry.id).toBe(10 * TIMER_RECORD_SIZE);
    const { got } = collect(second, clock.read);
    clock.now += 200;
    await second.deliverDue();
    expect(got.length).toBe(11);
  });

  test("refuses work after close with SERVICE_NOT_AVAILABLE", async () => {
    const dir = tempDir();
    const store = await createTimerStore({ dir });
    await store.close();
    const err = await rejection(store.schedule({ deliverAtMs: Date.now(), commitLogOffset: 0, size: 1 }));
    expect(err.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    await store.close();
  });
});
