import * as fs from "node:fs";
import { MqError } from "../../proto/error.ts";
import { BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { MappedFile } from "./mapped-file.ts";
import { MappedFileQueue } from "./mapped-file-queue.ts";
import { type DropPages, PAGE, type Preallocate, type WillNeed } from "./native-io.ts";
import type { PagePopulator, PopulatedRegion } from "./page-populator.ts";

export interface CommitLogEvents {
  /** Bytes below `offset` reached the OS (pwrite done). */
  onWritten(offset: number): void;
  /** Bytes below `offset` are on disk (fdatasync, or an O_DSYNC write, done). */
  onFlushed(offset: number): void;
  /** A write or fdatasync failed: nothing more will be accepted. */
  onFailed(err: MqError): void;
}

export interface CommitLogOptions {
  dir: string;
  segmentSize: number;
  /** A write is started once this many bytes are buffered (and at the end of every event-loop turn). */
  writeBufferSize: number;
  /** The largest record: each append buffer holds writeBufferSize plus one of them. */
  maxRecordSize: number;
  /** Append buffers: while up to count - 1 of them are being written off the event loop, the next one fills. */
  writeBufferCount: number;
  preallocate: Preallocate | null;
  /** Read-ahead hint for recovery scans. */
  willNeed: WillNeed | null;
  /**
   * SYNC_FLUSH: segments are opened O_DSYNC, so a write returns only once its bytes are on disk (as fdatasync
   * would make them), and every write runs off the event loop. Writes made while one is in flight are gathered
   * into the next (group commit).
   */
  syncWrites: boolean;
  /**
   * Without syncWrites: encode records straight into the segment's shared mapping (RocketMQ's MappedFile without
   * a transient store pool), its pages populated ahead by this populator's thread, instead of into append buffers
   * that pwrite copies into the page cache. Null: append buffers.
   */
  mappedWrites: PagePopulator | null;
  /**
   * With mappedWrites: unmaps the mapping's pages once flushed (and all of a segment's once it is full), so that
   * the writer's RSS holds what was written since the last flush plus the pages populated ahead, not the segment.
   */
  dropPages: DropPages | null;
  events: CommitLogEvents;
}

/** Smaller page-cache writes are made in place: a thread-pool round trip costs more than they do. */
const ASYNC_WRITE_MIN_BYTES = 64 * 1024;

/** One pwrite of buffered bytes, in submission order. */
interface WriteRecord {
  file: MappedFile;
  /** Offset right after the bytes (after a segment's blank marker: the segment's end). */
  end: number;
  lastRecord: number;
  storeTimestamp: number;
  done: boolean;
}

/**
 * The CommitLog writer and reader. A single writer encodes records straight into an append buffer (`reserve`,
 * then `commit`). With `mappedWrites` that buffer is the current segment's shared mapping: a record is in the page
 * cache, i.e. written, as soon as it is committed, and nothing is copied again. Otherwise the buffer is written
 * with one pwrite per event-loop turn, or as soon as `writeBufferSize` bytes are in it; large writes (all of
 * them with `syncWrites`) run off the event loop while the next buffer fills, so encoding overlaps the kernel's
 * copy (or the disk). Bytes count as written once every write before them completed. Without `syncWrites`,
 * fdatasync runs off the event loop on request, one at a time; everything written before it started is flushed
 * when it completes.
 */
export class CommitLog {
  readonly queue: MappedFileQueue;
  readonly segmentSize: number;
  readonly willNeed: WillNeed | null;
  /** Where the next record goes (buffered bytes included). */
  nextOffset = 0;
  /** Bytes below this were written to the OS. */
  writtenOffset = 0;
  /** Bytes below this are on disk. */
  flushedOffset = 0;
  /** Store timestamp of the last record written, and of the last one flushed (for the checkpoint). */
  writtenStoreTimestamp = 0;
  flushedStoreTimestamp = 0;
  /** Start of the last record below writtenOffset / flushedOffset (-1: none): where recovery may verify from. */
  writtenLastRecord = -1;
  flushedLastRecord = -1;
  failure: MqError | null = null;
  /** Rounds that made data durable: fdatasyncs, or O_DSYNC writes with `syncWrites` (each may cover many appends). */
  flushCount = 0;

  private readonly o: CommitLogOptions;
  /** The buffer being filled (`buffer`/`bufferView` for the encoder). */
  private buf: Uint8Array;
  private bufView: DataView;
  private bufLen = 0;
  /** Physical offset of buf[0]. */
  private bufStart = 0;
  private bufFile: MappedFile | null = null;
  /** Buffers neither being written nor filled. */
  private readonly spare: { buf: Uint8Array; view: DataView }[] = [];
  /** Writes not yet counted in writtenOffset, oldest first (from writesHead). */
  private writes: WriteRecord[] = [];
  private writesHead = 0;
  private asyncWrites = 0;
  private settled: (() => void)[] = [];
  private writeScheduled = false;
  /** Buffered bytes wait for a spare buffer (see submit). */
  private deferred = false;
  private notifyScheduled = false;
  private readonly dirty = new Set<MappedFile>();
  private syncing: Promise<void> | null = null;
  private appendedLastRecord = -1;
  private appendedStoreTimestamp = 0;
  /** mappedWrites: the populated pages of the current segment's mapping (buf). */
  private readonly populator: PagePopulator | null;
  private region: PopulatedRegion | null = null;
  private mappedFile: MappedFile | null = null;
  /** mappedWrites: pages of the mapping below this were dropped (dropPages). */
  private droppedTo = 0;

  constructor(options: CommitLogOptions) {
    this.o = options;
    this.segmentSize = options.segmentSize;
    this.willNeed = options.willNeed;
    this.populator = options.syncWrites ? null : options.mappedWrites;
    const flags = options.syncWrites ? fs.constants.O_DSYNC : 0;
    this.queue = new MappedFileQueue(options.dir, options.segmentSize, options.preallocate, flags);
    const capacity = this.populator ? 0 : options.writeBufferSize + options.maxRecordSize;
    this.buf = new Uint8Array(capacity);
    this.bufView = new DataView(this.buf.buffer);
    // With syncWrites every write is off the event loop: it needs a second buffer.
    const count = this.populator ? 0 : Math.max(options.syncWrites ? 2 : 1, options.writeBufferCount);
    for (let i = 1; i < count; i++) {
      const buf = new Uint8Array(capacity);
      this.spare.push({ buf, view: new DataView(buf.buffer) });
    }
  }

  /** Offset of the oldest byte still on disk (0 for an empty log). */
  get minOffset(): number {
    return Math.max(0, this.queue.minOffset());
  }

  /** The append buffer: `reserve` says where in it the next record goes. */
  get buffer(): Uint8Array {
    return this.buf;
  }

  get bufferView(): DataView {
    return this.bufView;
  }

  /** After recovery: appends continue at `offset`, everything below it counts as written and flushed. */
  setWritePosition(offset: number, lastRecord: number): void {
    this.nextOffset = this.writtenOffset = this.flushedOffset = offset;
    this.appendedLastRecord = this.writtenLastRecord = this.flushedLastRecord = lastRecord;
    this.bufStart = offset;
    this.bufLen = 0;
    this.bufFile = null;
    this.releaseMapping();
  }

  /** Room left in the segment holding `offset`. */
  remainingInSegment(offset: number): number {
    return this.segmentSize - (offset % this.segmentSize);
  }

  /**
   * Makes room for a record of `size` bytes at `nextOffset` and returns where in `buffer` to encode it. Rolls to
   * a new segment, leaving a blank marker, when the record plus a marker would not fit. `commit` appends it.
   */
  reserve(size: number): number {
    this.ensureWritable();
    if (size + END_FILE_MIN_BLANK_LENGTH > this.remainingInSegment(this.nextOffset)) this.endSegment();
    if (this.populator) {
      this.fileForAppend();
      const end = this.bufLen + size;
      if (end > this.region!.mark) this.preparePages(end);
      return this.bufLen;
    }
    if (this.bufLen + size > this.buf.length) this.submit(-1, true);
    this.fileForAppend();
    return this.bufLen;
  }

  /** Appends the record of `size` bytes encoded where `reserve` said (its PHYSICALOFFSET is `nextOffset`). */
  commit(size: number, storeTimestamp: number): void {
    this.appendedLastRecord = this.nextOffset;
    this.appendedStoreTimestamp = storeTimestamp;
    this.bufLen += size;
    this.nextOffset += size;
    if (this.populator) {
      this.writtenOffset = this.nextOffset;
      this.writtenLastRecord = this.appendedLastRecord;
      this.writtenStoreTimestamp = storeTimestamp;
      this.scheduleNotify();
      return;
    }
    if (this.bufLen >= this.o.writeBufferSize) this.submit(-1, false);
    this.scheduleWrite();
  }

  /** Ends the current segment with a blank marker; the next append opens the next segment. */
  endSegment(): void {
    this.ensureWritable();
    const file = this.fileForAppend();
    const remaining = file.fileEndOffset - this.nextOffset;
    if (this.populator) {
      if (this.bufLen + END_FILE_MIN_BLANK_LENGTH > this.region!.mark) {
        this.preparePages(this.bufLen + END_FILE_MIN_BLANK_LENGTH);
      }
      this.bufView.setInt32(this.bufLen, remaining);
      this.bufView.setInt32(this.bufLen + 4, BLANK_MAGIC_CODE);
      this.nextOffset = this.writtenOffset = file.fileEndOffset;
      this.releaseMapping();
      this.bufFile = null;
      this.scheduleNotify();
      return;
    }
    if (this.bufLen + END_FILE_MIN_BLANK_LENGTH > this.buf.length) this.submit(-1, true);
    this.bufView.setInt32(this.bufLen, remaining);
    this.bufView.setInt32(this.bufLen + 4, BLANK_MAGIC_CODE);
    this.bufLen += END_FILE_MIN_BLANK_LENGTH;
    this.submit(file.fileEndOffset, true);
    this.nextOffset = this.bufStart = file.fileEndOffset;
  }

  /**
   * Up to `length` bytes at `offset` (within one segment; fewer at its end), as a zero-copy view of the segment's
   * read mapping; null when no file holds `offset`.
   */
  read(offset: number, length: number): Uint8Array | null {
    const file = this.queue.findByOffset(offset);
    if (!file) return null;
    const pos = offset - file.fileFromOffset;
    return file.readView().subarray(pos, pos + Math.min(length, file.fileSize - pos));
  }

  /** The read mapping of the segment holding `offset` and where `offset` sits in it, or null. */
  segmentAt(offset: number): { bytes: Uint8Array; at: number } | null {
    const file = this.queue.findByOffset(offset);
    return file ? { bytes: file.readView(), at: offset - file.fileFromOffset } : null;
  }

  /** Starts an fdatasync when written bytes are not yet flushed and none is running (ASYNC_FLUSH's timer). */
  requestSync(): void {
    if (this.syncing || this.failure || this.writtenOffset <= this.flushedOffset) return;
    const target = this.writtenOffset;
    const timestamp = this.writtenStoreTimestamp;
    const lastRecord = this.writtenLastRecord;
    if (this.mappedFile) this.dirty.add(this.mappedFile); // written through the mapping since the last sync
    const files = [...this.dirty];
    this.dirty.clear();
    const flushes = files.length === 1 ? files[0]!.flush() : Promise.all(files.map((f) => f.flush()));
    this.syncing = flushes.then(
      () => {
        this.syncing = null;
        this.flushCount++;
        if (target > this.flushedOffset) {
          this.flushedOffset = target;
          this.flushedStoreTimestamp = timestamp;
          this.flushedLastRecord = lastRecord;
        }
        this.dropFlushedPages();
        this.o.events.onFlushed(this.flushedOffset);
      },
      (err) => {
        this.syncing = null;
        this.fail(err);
      },
    );
  }

  /** Writes the buffer and waits until everything written is flushed. */
  async flushAll(): Promise<void> {
    if (!this.failure) this.submit(-1, true);
    await this.settle();
    while (!this.failure && (this.syncing || this.writtenOffset > this.flushedOffset)) {
      this.requestSync();
      await this.syncing;
    }
    if (this.failure) throw this.failure;
  }

  /** Resolves when no write runs off the event loop any more (before the files may be closed). */
  settle(): Promise<void> {
    if (this.asyncWrites === 0) return Promise.resolve();
    return new Promise((resolve) => this.settled.push(resolve));
  }

  close(): void {
    this.releaseMapping();
    this.queue.close();
  }

  private ensureWritable(): void {
    if (this.failure) {
      throw new MqError(
        ResponseCode.SERVICE_NOT_AVAILABLE,
        `CommitLog is read-only after a failure: ${this.failure.message}`,
      );
    }
  }

  private fileForAppend(): MappedFile {
    if (this.bufFile && this.nextOffset < this.bufFile.fileEndOffset) return this.bufFile;
    this.submit(-1, true);
    try {
      this.bufFile = this.queue.getOrCreate(this.nextOffset);
    } catch (err) {
      throw this.fail(err);
    }
    this.bufStart = this.nextOffset;
    if (this.populator) this.mapForAppend(this.bufFile);
    return this.bufFile;
  }

  /** mappedWrites: the segment's shared mapping becomes the append buffer, positions relative to its start. */
  private mapForAppend(file: MappedFile): void {
    this.releaseMapping();
    let mapped: { bytes: Uint8Array; view: DataView };
    try {
      mapped = file.view();
    } catch (err) {
      this.bufFile = null;
      throw this.fail(err);
    }
    this.buf = mapped.bytes;
    this.bufView = mapped.view;
    this.bufStart = file.fileFromOffset;
    this.bufLen = this.nextOffset - file.fileFromOffset;
    this.region = this.populator!.region(mapped.bytes, this.bufLen);
    this.mappedFile = file;
    this.droppedTo = Math.floor(this.bufLen / PAGE) * PAGE; // this mapping never touched the pages below
  }

  /** mappedWrites: the current mapping's flushed pages are of no more use to the writer. */
  private dropFlushedPages(): void {
    if (!this.region || !this.o.dropPages) return;
    const end = this.flushedOffset - this.bufStart;
    if (end - this.droppedTo < PAGE) return;
    this.o.dropPages(this.buf, this.droppedTo, end - this.droppedTo);
    this.droppedTo = Math.floor(end / PAGE) * PAGE;
  }

  /** mappedWrites: pages up to `end` must be populated before a byte goes there (a write must not SIGBUS). */
  private preparePages(end: number): void {
    if (this.region!.prepare(end)) return;
    throw this.fail(
      new Error(
        `no page-cache page or disk block for CommitLog bytes at ${this.bufStart + this.bufLen} (disk full?)`,
      ),
    );
  }

  /** mappedWrites: the writer is done with the current mapping (the file keeps it until it closes). */
  private releaseMapping(): void {
    if (!this.region) return;
    this.region.release();
    this.region = null;
    // Dirty pages stay dirty in the page cache (the next flush writes them): only this process' mapping goes.
    this.o.dropPages?.(this.buf, this.droppedTo, this.buf.length - this.droppedTo);
    this.dirty.add(this.mappedFile!);
    this.mappedFile!.dropView(); // a full segment's mapping goes with the next GC, not with the file
    this.mappedFile = null;
    this.buf = new Uint8Array(0);
    this.bufView = new DataView(this.buf.buffer);
  }

  /**
   * Starts the pwrite of the buffered bytes: off the event loop when a spare buffer can take over (and the write
   * is large, or durable), else in place. Unless `now` (the buffer is full, or the segment ends), the bytes rather
   * wait while writes are in flight and no spare buffer is left: the next write to complete takes them, and the
   * writer keeps encoding instead of waiting on the file. `end` (-1: where the bytes end) lets a blank marker's
   * write cover the segment's rest.
   */
  private submit(end: number, now: boolean): void {
    const length = this.bufLen;
    if (length === 0 || this.populator) return; // a mapping's bytes are in the page cache already
    const offThread = this.o.syncWrites || length >= ASYNC_WRITE_MIN_BYTES;
    const spare = offThread ? this.spare.pop() : undefined;
    if (!spare && !now && this.asyncWrites > 0) {
      this.deferred = true;
      return;
    }
    this.deferred = false;
    const file = this.bufFile!;
    const position = this.bufStart - file.fileFromOffset;
    const w: WriteRecord = {
      file,
      end: end >= 0 ? end : this.bufStart + length,
      lastRecord: this.appendedLastRecord,
      storeTimestamp: this.appendedStoreTimestamp,
      done: false,
    };
    this.bufStart += length;
    this.bufLen = 0;
    this.writes.push(w);
    if (spare) {
      const written = this.buf;
      const writtenView = this.bufView;
      this.buf = spare.buf;
      this.bufView = spare.view;
      this.asyncWrites++;
      file.writeAsync(written, 0, length, position, (err) => {
        this.spare.push({ buf: written, view: writtenView });
        this.asyncWrites--;
        if (err) this.fail(err);
        else if (!this.failure) {
          w.done = true;
          this.dirty.add(file);
          if (this.deferred) this.submitQuietly();
          if (this.advance()) this.notify();
        }
        if (this.asyncWrites === 0) for (const resolve of this.settled.splice(0)) resolve();
      });
      return;
    }
    try {
      file.write(this.buf, 0, length, position);
    } catch (err) {
      throw this.fail(err);
    }
    w.done = true;
    this.dirty.add(file);
    if (this.advance()) this.scheduleNotify();
  }

  /** submit() from a callback: a failure is already reported through fail(). */
  private submitQuietly(): void {
    try {
      this.submit(-1, false);
    } catch {
      // fail() reported it
    }
  }

  /** Moves writtenOffset (and with syncWrites flushedOffset) over the completed writes at the head of the queue. */
  private advance(): boolean {
    const writes = this.writes;
    let head = this.writesHead;
    const from = head;
    while (head < writes.length && writes[head]!.done) {
      const w = writes[head++]!;
      this.writtenOffset = w.end;
      this.writtenLastRecord = w.lastRecord;
      this.writtenStoreTimestamp = w.storeTimestamp;
    }
    if (head === writes.length) {
      this.writes = [];
      this.writesHead = 0;
    } else {
      this.writesHead = head;
    }
    if (head === from) return false;
    if (this.o.syncWrites) {
      this.flushCount += head - from;
      this.flushedOffset = this.writtenOffset;
      this.flushedLastRecord = this.writtenLastRecord;
      this.flushedStoreTimestamp = this.writtenStoreTimestamp;
    }
    return true;
  }

  /** Writes made in place report from a microtask, never from inside the append that made them. */
  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      if (!this.failure) this.notify();
    });
  }

  private notify(): void {
    this.o.events.onWritten(this.writtenOffset);
    if (this.o.syncWrites) this.o.events.onFlushed(this.flushedOffset);
  }

  /**
   * Writes what the current turn appended once it ends. With syncWrites one event-loop turn later: the puts just
   * acknowledged re-put from their continuations (later microtasks), and all of them should join this write
   * instead of one going alone and the rest waiting for the next.
   */
  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    const write = () => {
      this.writeScheduled = false;
      if (!this.failure) this.submitQuietly();
    };
    if (this.o.syncWrites) setImmediate(write);
    else queueMicrotask(write);
  }

  private fail(err: unknown): MqError {
    if (!this.failure) {
      const message = err instanceof Error ? err.message : String(err);
      this.failure = new MqError(ResponseCode.SYSTEM_ERROR, `CommitLog I/O failed: ${message}`, {
        cause: err,
      });
      this.o.events.onFailed(this.failure);
    }
    return this.failure;
  }
}
