import type { MqError } from "../../proto/error.ts";
import { invalidTimerParameter as invalid } from "./check-timer-schedule.ts";
import { TIMER_RECORD_SIZE } from "./timer-record.ts";

export interface TimerStoreOptions {
  /** Directory of the timer store; the log lives in `<dir>/timerlog/`. Required. */
  dir: string;
  /** Wall clock in ms since the epoch; inject one in tests and drive delivery with `deliverDue()`. */
  clock: () => number;
  /**
   * Slot width of the wheel in ms (RocketMQ timerPrecisionMs, 1000 there). A slot fires at its end, so an
   * entry is late by less than this plus scheduling noise; 10 ms keeps p99 lateness far under 100 ms while
   * waking at most 100 times a second.
   */
  precisionMs: number;
  /** Largest accepted delay (RocketMQ timerMaxDelaySec, 3 days). Later times are refused. */
  maxDelayMs: number;
  /** true: schedule/cancel resolve after fdatasync (group commit); false: after the write, synced periodically. */
  syncFlush: boolean;
  /** With syncFlush false, the fdatasync period (RocketMQ timerFlushIntervalMs). */
  flushIntervalMs: number;
  /** Bytes per timer log segment; a multiple of the 96-byte record. */
  segmentBytes: number;
  /** Most entries handed to the handler in one call. */
  maxBatch: number;
  /** Pause before handing a batch again after the handler failed. */
  retryDelayMs: number;
  /** The oldest segment is compacted (live entries copied forward, file deleted) at or below this live ratio. */
  compactLiveRatio: number;
  /** Told about handler failures (the batch is retried) and background write failures. */
  onError: (err: MqError) => void;
}

export const defaultTimerStoreOptions: Readonly<TimerStoreOptions> = Object.freeze({
  dir: "",
  clock: Date.now,
  precisionMs: 10,
  maxDelayMs: 259_200_000,
  syncFlush: true,
  flushIntervalMs: 1000,
  segmentBytes: TIMER_RECORD_SIZE * 1_048_576,
  maxBatch: 1024,
  retryDelayMs: 1000,
  compactLiveRatio: 0.25,
  onError: (err: MqError) => console.error(`timer store: ${err.message}`),
});

export function checkTimerStoreOptions(o: TimerStoreOptions): void {
  if (typeof o.dir !== "string" || o.dir === "") throw invalid("TimerStoreOptions.dir is required");
  if (!Number.isInteger(o.precisionMs) || o.precisionMs < 1 || o.precisionMs > 60_000) {
    throw invalid(`TimerStoreOptions.precisionMs must be an integer from 1 to 60000, got ${o.precisionMs}`);
  }
  if (!Number.isSafeInteger(o.maxDelayMs) || o.maxDelayMs < 1) {
    throw invalid(`TimerStoreOptions.maxDelayMs must be a positive integer, got ${o.maxDelayMs}`);
  }
  if (
    !Number.isSafeInteger(o.segmentBytes) ||
    o.segmentBytes < TIMER_RECORD_SIZE ||
    o.segmentBytes % TIMER_RECORD_SIZE
  ) {
    throw invalid(
      `TimerStoreOptions.segmentBytes must be a multiple of ${TIMER_RECORD_SIZE}, got ${o.segmentBytes}`,
    );
  }
  if (!Number.isInteger(o.maxBatch) || o.maxBatch < 1) {
    throw invalid(`TimerStoreOptions.maxBatch must be a positive integer, got ${o.maxBatch}`);
  }
  if (!(o.compactLiveRatio >= 0 && o.compactLiveRatio < 1)) {
    throw invalid(`TimerStoreOptions.compactLiveRatio must be in [0, 1), got ${o.compactLiveRatio}`);
  }
  if (!(o.flushIntervalMs > 0) || !(o.retryDelayMs >= 0)) {
    throw invalid("TimerStoreOptions.flushIntervalMs must be > 0 and retryDelayMs >= 0");
  }
}
