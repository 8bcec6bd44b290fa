import { join } from "node:path";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { checkTimerSchedule, invalidTimerParameter as invalid } from "./check-timer-schedule.ts";
import { recoverTimerLog } from "./recover-timer-log.ts";
import { type LastProgress, replayTimerLog } from "./replay-timer-log.ts";
import {
  type SlotEntry,
  type TimerCancel,
  type TimerDueHandler,
  type TimerEntry,
  TimerEntryState,
  type TimerSchedule,
  type TimerStats,
  toTimerEntry,
} from "./timer-entry.ts";
import { TimerLog } from "./timer-log.ts";
import { encodeTimerRecord, TIMER_RECORD_SIZE, TimerRecordKind } from "./timer-record.ts";
import {
  checkTimerStoreOptions,
  defaultTimerStoreOptions,
  type TimerStoreOptions,
} from "./timer-store-options.ts";
import { createTimerWheel, type TimerWheel } from "./timer-wheel.ts";

/** Longest single wait; a longer one is re-armed, so a wall-clock jump is noticed within this time. */
const MAX_ARM_MS = 60_000;

/**
 * Opens (recovering) the durable timer store for delay/timer messages.
 * @example
 * const timer = await createTimerStore({ dir: join(storePathRootDir, "timer") });
 * timer.onDue(async (entries) => { for (const e of entries) await reputToRealTopic(e.commitLogOffset, e.size); });
 * await timer.schedule({ deliverAtMs: Date.now() + 5000, commitLogOffset, size, key: uniqKey });
 */
export async function createTimerStore(options: Partial<TimerStoreOptions>): Promise<TimerStore> {
  const o: TimerStoreOptions = { ...defaultTimerStoreOptions, ...options };
  checkTimerStoreOptions(o);
  return new TimerStore(o);
}

/** See README.md for the log format, the delivery guarantee and recovery. */
export class TimerStore {
  private readonly o: TimerStoreOptions;
  private readonly log: TimerLog;
  private readonly wheel: TimerWheel;
  /** Live (not delivered, not cancelled) entries per segment base, to know when a segment can go. */
  private readonly segmentLive = new Map<number, number>();
  private lastProgress: LastProgress | undefined;
  private pendingCount = 0;
  private inFlight: SlotEntry[] = [];
  private handler: TimerDueHandler | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;
  private pumping: Promise<number> | undefined;
  private pumpAgain = false;
  private wakeRetry: (() => void) | undefined;
  private closed = false;

  /** @internal use createTimerStore */
  constructor(o: TimerStoreOptions) {
    this.o = o;
    const dir = join(o.dir, "timerlog");
    const recovered = recoverTimerLog(dir);
    const replayed = replayTimerLog(recovered.segments);
    this.lastProgress = replayed.progress;
    this.log = new TimerLog(
      { dir, segmentBytes: o.segmentBytes, syncFlush: o.syncFlush, flushIntervalMs: o.flushIntervalMs },
      recovered.segments,
    );
    this.wheel = createTimerWheel(o.precisionMs, replayed.progress);
    for (const e of replayed.pending) {
      this.wheel.add(e);
      this.countLive(e.pos, 1);
    }
    this.pendingCount = replayed.pending.length;
  }

  /**
   * Schedules a timer; resolves once it is durable (syncFlush) and returns it with its id. A deliverAtMs at
   * or before now is due at once; one more than maxDelayMs ahead is refused with MESSAGE_ILLEGAL.
   */
  async schedule(request: TimerSchedule): Promise<TimerEntry> {
    this.checkOpen();
    const { deliverAtMs, commitLogOffset, size, queueId, key } = checkTimerSchedule(
      request,
      this.o.clock(),
      this.o.maxDelayMs,
    );
    const entry: SlotEntry = {
      id: 0,
      deliverAtMs,
      commitLogOffset,
      size,
      queueId,
      key,
      pos: 0,
      slotMs: this.wheel.slotFor(deliverAtMs),
      state: TimerEntryState.PENDING,
    };
    const pos = this.log.append((bytes, view, off, at) =>
      encodeTimerRecord(bytes, view, off, { kind: TimerRecordKind.SCHEDULE, ...entry, id: at, pos: at }),
    );
    entry.id = pos;
    entry.pos = pos;
    this.wheel.add(entry);
    this.pendingCount++;
    this.countLive(pos, 1);
    this.arm();
    await this.log.acked(pos + TIMER_RECORD_SIZE);
    return toTimerEntry(entry);
  }

  /**
   * Cancels pending timers with this key (and deliverAtMs, when given); resolves true once the cancel is
   * durable, false if none was pending (unknown, delivered, or already being delivered).
   */
  async cancel(request: TimerCancel): Promise<boolean> {
    this.checkOpen();
    const { key, deliverAtMs } = request;
    if (typeof key !== "string" || key === "")
      throw invalid("timer cancel needs the key given at schedule time");
    const found: SlotEntry[] = [];
    const match = (e: SlotEntry) => {
      if (
        e.state === TimerEntryState.PENDING &&
        e.key === key &&
        (deliverAtMs === undefined || e.deliverAtMs === deliverAtMs)
      ) {
        found.push(e);
      }
    };
    if (deliverAtMs === undefined) {
      this.wheel.forEachUntaken(match);
    } else {
      if (!Number.isFinite(deliverAtMs))
        throw invalid(`timer cancel deliverAtMs must be a number, got ${deliverAtMs}`);
      // Its own slot, or (scheduled after that slot closed) the slot just past the closed one.
      const slots = new Set([
        this.wheel.slotFor(deliverAtMs),
        Math.ceil(deliverAtMs / this.o.precisionMs) * this.o.precisionMs,
      ]);
      for (const slot of slots) for (const e of this.wheel.untaken(slot)) match(e);
    }
    if (found.length === 0) return false;
    let end = 0;
    for (const e of found) {
      e.state = TimerEntryState.CANCELLED;
      this.pendingCount--;
      this.countLive(e.pos, -1);
      const pos = this.log.append((bytes, view, off, at) =>
        encodeTimerRecord(bytes, view, off, {
          kind: TimerRecordKind.CANCEL,
          pos: at,
          id: e.id,
          slotMs: e.slotMs,
        }),
      );
      end = pos + TIMER_RECORD_SIZE;
    }
    await this.log.acked(end);
    return true;
  }

  /**
   * Sets the handler for due entries (replacing any earlier one) and starts delivery. Entries come in
   * deliverAt order, never before their deliverAtMs; once the handler resolves they are recorded as
   * delivered. If it rejects, the same batch is handed again after retryDelayMs.
   */
  onDue(handler: TimerDueHandler): void {
    this.checkOpen();
    this.handler = handler;
    this.deliverInBackground();
  }

  /** Delivers what is due by the clock now; resolves with the number delivered (for injected clocks). */
  deliverDue(): Promise<number> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    const run = this.pump().finally(() => {
      this.pumping = undefined;
      this.arm();
    });
    this.pumping = run;
    return run;
  }

  stats(): TimerStats {
    let oldest = this.wheel.oldestDeliverAtMs();
    for (const e of this.inFlight) if (oldest === undefined || e.deliverAtMs < oldest) oldest = e.deliverAtMs;
    const segments = this.log.segmentList();
    return {
      pending: this.pendingCount,
      inFlight: this.inFlight.length,
      oldestPendingDeliverAtMs: oldest,
      logBytes: segments.reduce((sum, s) => sum + s.length, 0),
      segments: segments.length,
    };
  }

  /** Stops delivery (waiting for a batch in the handler to finish), then syncs and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeRetry?.();
    await this.pumping?.catch(() => {});
    await this.log.close();
  }

  private deliverInBackground(): void {
    this.deliverDue().catch((err) => this.o.onError(MqError.from(err)));
  }

  private checkOpen(): void {
    if (this.closed) throw new MqError(ResponseCode.SERVICE_NOT_AVAILABLE, "timer store is closed");
  }

  private countLive(pos: number, delta: number): void {
    const base = this.log.segmentBaseOf(pos);
    const n = (this.segmentLive.get(base) ?? 0) + delta;
    if (n === 0) this.segmentLive.delete(base);
    else this.segmentLive.set(base, n);
  }

  /** Sets the wake-up for the next due slot, unless delivery is off, running, or already armed earlier. */
  private arm(): void {
    if (this.closed || !this.handler || this.pumping) return;
    const next = this.wheel.nextSlotMs();
    if (next === undefined || next >= this.armedForMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedForMs = next;
    const delay = Math.min(Math.max(0, next - this.o.clock()), MAX_ARM_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedForMs = Number.POSITIVE_INFINITY;
      this.deliverInBackground();
    }, delay);
  }

  private async pump(): Promise<number> {
    let delivered = 0;
    do {
      this.pumpAgain = false;
      delivered += await this.deliverPass();
    } while (this.pumpAgain && !this.closed);
    return delivered;
  }

  private async deliverPass(): Promise<number> {
    let delivered = 0;
    while (!this.closed && this.handler) {
      const batch = this.wheel.takeDue(this.o.clock(), this.o.maxBatch);
      if (!batch) break;
      if (batch.entries.length === 0) continue;
      this.inFlight = batch.entries;
      // Never hand out an entry whose own record could still be lost.
      await this.log.acked(batch.maxPos + TIMER_RECORD_SIZE);
      if (!(await this.handOver(batch.entries))) return delivered;
      for (const e of batch.entries) {
        e.state = TimerEntryState.DONE;
        this.countLive(e.pos, -1);
      }
      this.pendingCount -= batch.entries.length;
      this.inFlight = [];
      const slotMs = batch.lastSlotMs;
      const doneInSlot = batch.doneInLastSlot;
      const pos = this.log.append((bytes, view, off, at) =>
        encodeTimerRecord(bytes, view, off, { kind: TimerRecordKind.PROGRESS, pos: at, slotMs, doneInSlot }),
      );
      this.lastProgress = { slotMs, doneInSlot, pos };
      await this.log.acked(pos + TIMER_RECORD_SIZE);
      delivered += batch.entries.length;
      await this.compact();
    }
    return delivered;
  }

  /** Calls the handler until it succeeds; false if the store closed first (the batch stays undelivered). */
  private async handOver(entries: SlotEntry[]): Promise<boolean> {
    const view = entries.map(toTimerEntry);
    for (;;) {
      const handler = this.handler;
      if (this.closed || !handler) return false;
      try {
        await handler(view);
        return true;
      } catch (err) {
        this.o.onError(
          new MqError(
            ResponseCode.SYSTEM_ERROR,
            `timer handler failed, retrying ${entries.length} entries: ${String(err)}`,
            {
              cause: err,
            },
          ),
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.o.retryDelayMs);
        this.wakeRetry = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeRetry = undefined;
    }
  }

  /**
   * Frees the oldest segment once few of its timers are live: copies those forward (same id, so recovery
   * keeps only the latest copy), re-records the last progress if it sat there, syncs, then deletes the file.
   */
  private async compact(): Promise<void> {
    for (;;) {
      const segments = this.log.segmentList();
      if (segments.length < 2) return;
      const head = segments[0]!;
      const live = this.segmentLive.get(head.base) ?? 0;
      if (live > (head.length / TIMER_RECORD_SIZE) * this.o.compactLiveRatio) return;
      const headEnd = head.base + head.length;
      if (live > 0) {
        this.wheel.forEachUntaken((e) => {
          if (e.state !== TimerEntryState.PENDING || e.pos < head.base || e.pos >= headEnd) return;
          this.countLive(e.pos, -1);
          e.pos = this.log.append((bytes, view, off, at) =>
            encodeTimerRecord(bytes, view, off, { kind: TimerRecordKind.SCHEDULE, ...e, pos: at }),
          );
          this.countLive(e.pos, 1);
        });
      }
      const last = this.lastProgress;
      if (last && last.pos < headEnd) {
        const { slotMs, doneInSlot } = last;
        last.pos = this.log.append((bytes, view, off, at) =>
          encodeTimerRecord(bytes, view, off, {
            kind: TimerRecordKind.PROGRESS,
            pos: at,
            slotMs,
            doneInSlot,
          }),
        );
      }
      await this.log.acked(this.log.end);
      if (this.closed) return;
      this.log.dropHead();
      this.segmentLive.delete(head.base);
    }
  }
}
