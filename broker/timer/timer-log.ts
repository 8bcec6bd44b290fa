import { closeSync, fdatasync, fsync, fsyncSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { TIMER_RECORD_SIZE } from "./timer-record.ts";

export interface TimerLogOptions {
  /** The timerlog/ directory. */
  dir: string;
  /** A segment is closed once this many bytes are in it (a multiple of TIMER_RECORD_SIZE). */
  segmentBytes: number;
  /** true: an append is acknowledged after fdatasync (group commit); false: after the write to the page cache. */
  syncFlush: boolean;
  /** With syncFlush false, how often written data is fdatasync'ed. */
  flushIntervalMs: number;
}

/** A segment that survived recovery: its first position and its valid length in bytes. */
export interface TimerLogSegmentInfo {
  base: number;
  length: number;
}

interface Segment {
  base: number;
  /** Logical bytes in the segment, including appended bytes not yet written. */
  length: number;
  fd: number;
  path: string;
}

interface Waiter {
  end: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function segmentFileName(base: number): string {
  return String(base).padStart(20, "0");
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function promised(run: (done: (err: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
}

/**
 * The append side of the timer log: records are encoded into a batch buffer, written with pwrite and made
 * durable by one fdatasync per batch (group commit). Appends made while a sync is in flight go into the next
 * batch, so the sync rate, not the record rate, bounds the cost.
 */
export class TimerLog {
  private readonly options: TimerLogOptions;
  private readonly segments: Segment[] = [];
  private pending = new Uint8Array(TIMER_RECORD_SIZE * 1024);
  private pendingView = new DataView(this.pending.buffer);
  private spare = new Uint8Array(TIMER_RECORD_SIZE * 1024);
  private pendingLen = 0;
  /** Logical end of everything appended. */
  private endPos: number;
  /** Logical end of the bytes handed to the OS. */
  private writtenEnd: number;
  /** Logical end of what appends may be acknowledged for (durable, or written when syncFlush is off). */
  private ackedEnd: number;
  private syncedEnd: number;
  private waiters: Waiter[] = [];
  private flushing = false;
  private flushQueued = false;
  private dirDirty = false;
  private readonly dirtyFds = new Set<number>();
  private syncTimer: ReturnType<typeof setInterval> | undefined;
  private failure: MqError | undefined;
  private closed = false;

  /** Opens the recovered segments (already truncated to their valid length), creating the first if none. */
  constructor(options: TimerLogOptions, recovered: readonly TimerLogSegmentInfo[]) {
    this.options = options;
    for (const s of recovered) {
      const path = join(options.dir, segmentFileName(s.base));
      this.segments.push({ base: s.base, length: s.length, fd: openSync(path, "r+"), path });
    }
    if (this.segments.length === 0) {
      this.segments.push(this.createSegment(0));
      syncDir(options.dir);
      this.dirDirty = false;
    }
    const last = this.segments[this.segments.length - 1]!;
    this.endPos = last.base + last.length;
    this.writtenEnd = this.endPos;
    this.ackedEnd = this.endPos;
    this.syncedEnd = this.endPos;
    if (!options.syncFlush) {
      this.syncTimer = setInterval(
        () => void this.syncWritten().catch((err) => this.fail(err)),
        options.flushIntervalMs,
      );
      this.syncTimer.unref?.();
    }
  }

  /** Logical end of the log (the position the next record gets). */
  get end(): number {
    return this.endPos;
  }

  segmentList(): TimerLogSegmentInfo[] {
    return this.segments.map((s) => ({ base: s.base, length: s.length }));
  }

  /** Base of the segment holding `pos`. */
  segmentBaseOf(pos: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.base <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!.base;
  }

  /**
   * Reserves the next record: `encode` writes TIMER_RECORD_SIZE bytes at `off` of `bytes` for position `pos`.
   * Returns that position; `acked(pos + TIMER_RECORD_SIZE)` tells when it is safe.
   */
  append(encode: (bytes: Uint8Array, view: DataView, off: number, pos: number) => void): number {
    if (this.failure) throw this.failure;
    if (this.closed) throw new MqError(ResponseCode.SERVICE_NOT_AVAILABLE, "timer log is closed");
    let active = this.segments[this.segments.length - 1]!;
    if (active.length + TIMER_RECORD_SIZE > this.options.segmentBytes && active.length > 0) {
      active = this.createSegment(this.endPos);
      this.segments.push(active);
    }
    if (this.pendingLen + TIMER_RECORD_SIZE > this.pending.length) this.growPending();
    const pos = this.endPos;
    encode(this.pending, this.pendingView, this.pendingLen, pos);
    this.pendingLen += TIMER_RECORD_SIZE;
    active.length += TIMER_RECORD_SIZE;
    this.endPos += TIMER_RECORD_SIZE;
    this.queueFlush();
    return pos;
  }

  /** Resolves once everything before `end` is acknowledged (durable under syncFlush). */
  acked(end: number): Promise<void> {
    if (end <= this.ackedEnd) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ end, resolve, reject });
      this.queueFlush();
    });
  }

  /** Deletes the oldest segment (never the active one) once its content is no longer needed. */
  dropHead(): void {
    if (this.segments.length < 2) return;
    const head = this.segments.shift()!;
    closeSync(head.fd);
    this.dirtyFds.delete(head.fd);
    unlinkSync(head.path);
    syncDir(this.options.dir);
  }

  /** Writes and fdatasyncs everything appended, then closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    try {
      if (!this.failure) {
        await this.acked(this.endPos);
        await this.syncWritten();
      }
    } finally {
      for (const s of this.segments) closeSync(s.fd);
    }
  }

  private createSegment(base: number): Segment {
    const path = join(this.options.dir, segmentFileName(base));
    this.dirDirty = true;
    return { base, length: 0, fd: openSync(path, "w+"), path };
  }

  private growPending(): void {
    const bigger = new Uint8Array(this.pending.length * 2);
    bigger.set(this.pending.subarray(0, this.pendingLen));
    this.pending = bigger;
    this.pendingView = new DataView(bigger.buffer);
    this.spare = new Uint8Array(bigger.length);
  }

  private queueFlush(): void {
    if (this.flushQueued || this.flushing) return;
    this.flushQueued = true;
    // A microtask lets the appends of the current turn join one batch.
    queueMicrotask(() => {
      this.flushQueued = false;
      void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pendingLen > 0 && !this.failure) {
        const batch = this.pending.subarray(0, this.pendingLen);
        const start = this.writtenEnd;
        const end = start + this.pendingLen;
        const next = this.spare;
        this.spare = this.pending;
        this.pending = next;
        this.pendingView = new DataView(next.buffer);
        this.pendingLen = 0;
        this.writeBatch(batch, start, end);
        if (this.options.syncFlush) await this.syncWritten();
        this.release(end);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.flushing = false;
    }
    if (this.pendingLen > 0 && !this.failure) this.queueFlush();
  }

  private writeBatch(batch: Uint8Array, start: number, end: number): void {
    for (const seg of this.segments) {
      const from = Math.max(start, seg.base);
      const to = Math.min(end, seg.base + seg.length);
      if (from >= to) continue;
      let done = 0;
      while (done < to - from) {
        done += writeSync(seg.fd, batch, from - start + done, to - from - done, from - seg.base + done);
      }
      this.dirtyFds.add(seg.fd);
    }
    this.writtenEnd = end;
  }

  private async syncWritten(): Promise<void> {
    const target = this.writtenEnd;
    if (target <= this.syncedEnd && !this.dirDirty) return;
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    await Promise.all(fds.map((fd) => promised((done) => fdatasync(fd, done))));
    if (this.dirDirty) {
      // A new segment's directory entry must be durable before its records count as durable.
      this.dirDirty = false;
      const dirFd = openSync(this.options.dir, "r");
      try {
        await promised((done) => fsync(dirFd, done));
      } finally {
        closeSync(dirFd);
      }
    }
    if (target > this.syncedEnd) this.syncedEnd = target;
  }

  private release(end: number): void {
    this.ackedEnd = end;
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.end <= end) w.resolve();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    // After a failed write or fsync the page cache state is unknown (fsyncgate): refuse everything after.
    this.failure = new MqError(
      ResponseCode.SYSTEM_ERROR,
      `timer log write failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}
