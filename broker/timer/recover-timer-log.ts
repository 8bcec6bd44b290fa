import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import type { TimerLogSegmentInfo } from "./timer-log.ts";
import { isValidTimerRecord, TIMER_RECORD_SIZE } from "./timer-record.ts";

/** A segment as recovery found it: its valid bytes, already cut to whole, valid records. */
export interface RecoveredSegment extends TimerLogSegmentInfo {
  bytes: Uint8Array;
}

export interface RecoveredTimerLog {
  segments: RecoveredSegment[];
  /** Position where the valid log ended early (torn or corrupt tail), if it did. */
  truncatedAt: number | undefined;
  /** Bytes dropped from the tail (the rest of the cut file plus any later files). */
  droppedBytes: number;
}

const SEGMENT_NAME = /^\d{20}$/;

/**
 * Finds the longest valid prefix of the timer log in `dir` and cuts everything after it: a partial record,
 * a record with a bad CRC, kind or position, or a segment that does not start where the previous one ended
 * marks the end. The cut file is truncated and later files are deleted, so appends continue right after the
 * last valid record. Appends are acknowledged only after they and everything before them were synced, so
 * the cut only ever drops records that were never acknowledged.
 */
export function recoverTimerLog(dir: string): RecoveredTimerLog {
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(dir)
    .filter((n) => SEGMENT_NAME.test(n))
    .sort();
  const segments: RecoveredSegment[] = [];
  let truncatedAt: number | undefined;
  let droppedBytes = 0;
  let expectedBase: number | undefined;
  for (const name of names) {
    const path = join(dir, name);
    const base = Number(name);
    const bytes = readFileSync(path);
    if (truncatedAt !== undefined || (expectedBase !== undefined && base !== expectedBase)) {
      truncatedAt ??= expectedBase;
      droppedBytes += bytes.length;
      unlinkSync(path);
      continue;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let valid = 0;
    while (
      valid + TIMER_RECORD_SIZE <= bytes.length &&
      isValidTimerRecord(bytes, view, valid, base + valid)
    ) {
      valid += TIMER_RECORD_SIZE;
    }
    if (valid < bytes.length) {
      truncatedAt = base + valid;
      droppedBytes += bytes.length - valid;
      const fd = openSync(path, "r+");
      try {
        ftruncateSync(fd, valid);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    segments.push({ base, length: valid, bytes: bytes.subarray(0, valid) });
    expectedBase = base + valid;
  }
  if (truncatedAt !== undefined) {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return { segments, truncatedAt, droppedBytes };
}
