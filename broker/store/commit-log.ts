import { MqError } from "../../proto/error.ts";
import {
  BLANK_MAGIC_CODE,
  END_FILE_MIN_BLANK_LENGTH,
  encodeMessageRecord,
  type MessageRecordFields,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { MappedFile } from "./mapped-file.ts";
import { MappedFileQueue } from "./mapped-file-queue.ts";
import type { Preallocate, WillNeed } from "./native-io.ts";

export interface CommitLogEvents {
  /** Bytes below `offset` reached the OS (pwrite done). */
  onWritten(offset: number): void;
  /** Bytes below `offset` are on disk (fdatasync done). */
  onFlushed(offset: number): void;
  /** A write or fdatasync failed: nothing more will be accepted. */
  onFailed(err: MqError): void;
}

export interface CommitLogOptions {
  dir: string;
  segmentSize: number;
  /** Capacity of the append buffer; at least one largest record. */
  writeBufferSize: number;
  preallocate: Preallocate | null;
  /** Read-ahead hint for recovery scans. */
  willNeed: WillNeed | null;
  /** SYNC_FLUSH: start a group-commit fdatasync after every write. */
  syncAfterWrite: boolean;
  events: CommitLogEvents;
}

/**
 * The CommitLog writer and reader. A single writer encodes records into one buffer; a microtask writes the buffer
 * with one pwrite, so appends made in the same turn share a syscall. fdatasync runs off the event loop with at most
 * one in flight; everything written before it started is flushed when it completes (group commit).
 */
export class CommitLog {
  readonly queue: MappedFileQueue;
  readonly segmentSize: number;
  readonly willNeed: WillNeed | null;
  /** Where the next record goes (buffered bytes included). */
  nextOffset = 0;
  /** Bytes below this were written to the OS. */
  writtenOffset = 0;
  /** Bytes below this were fdatasynced. */
  flushedOffset = 0;
  /** Store timestamp of the last record written, and of the last one flushed (for the checkpoint). */
  writtenStoreTimestamp = 0;
  flushedStoreTimestamp = 0;
  /** Start of the last record below writtenOffset / flushedOffset (-1: none): where recovery may verify from. */
  writtenLastRecord = -1;
  flushedLastRecord = -1;
  failure: MqError | null = null;
  /** fdatasync rounds completed (each may cover many appends). */
  flushCount = 0;

  private readonly o: CommitLogOptions;
  private readonly buf: Uint8Array;
  private readonly bufView: DataView;
  private bufLen = 0;
  /** Physical offset of buf[0]. */
  private bufStart = 0;
  private bufFile: MappedFile | null = null;
  private writeScheduled = false;
  private syncScheduled = false;
  private readonly dirty = new Set<MappedFile>();
  private syncing: Promise<void> | null = null;
  private appendedLastRecord = -1;

  constructor(options: CommitLogOptions) {
    this.o = options;
    this.segmentSize = options.segmentSize;
    this.willNeed = options.willNeed;
    this.queue = new MappedFileQueue(options.dir, options.segmentSize, options.preallocate);
    this.buf = new Uint8Array(options.writeBufferSize);
    this.bufView = new DataView(this.buf.buffer);
  }

  /** Offset of the oldest byte still on disk (0 for an empty log). */
  get minOffset(): number {
    return Math.max(0, this.queue.minOffset());
  }

  /** After recovery: appends continue at `offset`, everything below it counts as written and flushed. */
  setWritePosition(offset: number, lastRecord: number): void {
    this.nextOffset = this.writtenOffset = this.flushedOffset = offset;
    this.appendedLastRecord = this.writtenLastRecord = this.flushedLastRecord = lastRecord;
    this.bufStart = offset;
    this.bufLen = 0;
    this.bufFile = null;
  }

  /** Room left in the segment holding `offset`. */
  remainingInSegment(offset: number): number {
    return this.segmentSize - (offset % this.segmentSize);
  }

  /**
   * Appends one record of `size` bytes (fields.commitLogOffset is set here) and returns its physical offset.
   * Rolls to a new segment, leaving a blank marker, when the record plus a marker would not fit.
   */
  appendMessage(fields: MessageRecordFields, size: number, storeTimestamp: number): number {
    this.ensureWritable();
    if (size + END_FILE_MIN_BLANK_LENGTH > this.remainingInSegment(this.nextOffset)) this.appendBlank();
    if (this.bufLen + size > this.buf.length) this.writeBuffer();
    this.fileForAppend();
    const offset = this.nextOffset;
    fields.commitLogOffset = offset;
    encodeMessageRecord(this.buf, this.bufView, this.bufLen, fields);
    this.bufLen += size;
    this.nextOffset += size;
    this.appendedLastRecord = offset;
    this.writtenStoreTimestamp = storeTimestamp;
    this.scheduleWrite();
    return offset;
  }

  /**
   * Appends already-encoded bytes at `nextOffset` (replication). The caller has validated them: whole records,
   * optionally ending with a blank marker that fills the segment.
   */
  appendRaw(bytes: Uint8Array, endsWithBlank: boolean, lastRecord: number, lastStoreTimestamp: number): void {
    this.ensureWritable();
    this.writeBuffer();
    const file = this.fileForAppend();
    try {
      file.write(bytes, 0, bytes.length, this.nextOffset - file.fileFromOffset);
    } catch (err) {
      throw this.fail(err);
    }
    this.dirty.add(file);
    this.nextOffset += bytes.length;
    if (endsWithBlank) this.nextOffset = file.fileEndOffset;
    this.bufStart = this.writtenOffset = this.nextOffset;
    if (lastRecord >= 0) this.appendedLastRecord = this.writtenLastRecord = lastRecord;
    if (lastStoreTimestamp > 0) this.writtenStoreTimestamp = lastStoreTimestamp;
    this.scheduleWrite();
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

  /** Starts a group-commit fdatasync when written bytes are not yet flushed and none is running. */
  requestSync(): void {
    if (this.syncing || this.failure || this.writtenOffset <= this.flushedOffset) return;
    const target = this.writtenOffset;
    const timestamp = this.writtenStoreTimestamp;
    const lastRecord = this.writtenLastRecord;
    const files = [...this.dirty];
    this.dirty.clear();
    const flushes = files.length === 1 ? files[0]!.flush() : Promise.all(files.map((f) => f.flush()));
    this.syncing = flushes.then(
      () => {
        this.syncing = null;
        this.flushCount++;
        this.flushedOffset = Math.max(this.flushedOffset, target);
        this.flushedStoreTimestamp = timestamp;
        this.flushedLastRecord = lastRecord;
        this.o.events.onFlushed(this.flushedOffset);
        if (this.o.syncAfterWrite) this.scheduleSync();
      },
      (err) => {
        this.syncing = null;
        this.fail(err);
      },
    );
  }

  /** Writes the buffer and waits until everything written is flushed. */
  async flushAll(): Promise<void> {
    this.writeBuffer();
    while (!this.failure && (this.syncing || this.writtenOffset > this.flushedOffset)) {
      this.requestSync();
      await this.syncing;
    }
    if (this.failure) throw this.failure;
  }

  close(): void {
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
    this.writeBuffer();
    try {
      this.bufFile = this.queue.getOrCreate(this.nextOffset);
    } catch (err) {
      throw this.fail(err);
    }
    this.bufStart = this.nextOffset;
    return this.bufFile;
  }

  /** Ends the current segment with a blank marker; the next append opens the next segment. */
  private appendBlank(): void {
    const file = this.fileForAppend();
    const remaining = file.fileEndOffset - this.nextOffset;
    if (this.bufLen + END_FILE_MIN_BLANK_LENGTH > this.buf.length) this.writeBuffer();
    this.bufView.setInt32(this.bufLen, remaining);
    this.bufView.setInt32(this.bufLen + 4, BLANK_MAGIC_CODE);
    this.bufLen += END_FILE_MIN_BLANK_LENGTH;
    this.writeBuffer();
    this.nextOffset = this.bufStart = this.writtenOffset = file.fileEndOffset;
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    queueMicrotask(() => {
      this.writeScheduled = false;
      if (this.failure) return;
      try {
        this.writeBuffer();
      } catch {
        return; // fail() already reported it
      }
      this.o.events.onWritten(this.writtenOffset);
      if (this.o.syncAfterWrite) this.scheduleSync();
    });
  }

  /**
   * Starts the group commit one event-loop turn later, so that appends made by the continuations of the puts just
   * acknowledged (they run as later microtasks) join this fdatasync instead of waiting for the next one.
   */
  private scheduleSync(): void {
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      if (this.failure) return;
      try {
        this.writeBuffer();
      } catch {
        return; // fail() already reported it
      }
      this.requestSync();
    });
  }

  /** pwrite the buffered bytes. */
  private writeBuffer(): void {
    if (this.bufLen === 0) return;
    const file = this.bufFile!;
    try {
      file.write(this.buf, 0, this.bufLen, this.bufStart - file.fileFromOffset);
    } catch (err) {
      throw this.fail(err);
    }
    this.dirty.add(file);
    this.bufStart += this.bufLen;
    this.bufLen = 0;
    this.writtenOffset = this.bufStart;
    this.writtenLastRecord = this.appendedLastRecord;
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
