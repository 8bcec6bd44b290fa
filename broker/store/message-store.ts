import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import {
  BLANK_MAGIC_CODE,
  checkMessageRecord,
  createMessageRecordDecoder,
  createOffsetMessageIdFactory,
  createUniqKeyGenerator,
  END_FILE_MIN_BLANK_LENGTH,
  MAX_PROPERTIES_BYTES,
  MessageConst,
  type MessageExt,
  messageRecordSize,
  parseSocketAddress,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { AppendedMessage } from "./appended-message.ts";
import { CheckpointFile, readCheckpoint, type StoreCheckpoint } from "./checkpoint.ts";
import { CommitLog } from "./commit-log.ts";
import { ConsumeQueueTable } from "./consume-queue-table.ts";
import { decodeDispatchRequest } from "./dispatch-request.ts";
import { createMessageEncoder, type MessageEncoder } from "./message-encoder.ts";
import { MessageIndex } from "./message-index.ts";
import { openNativeIo } from "./native-io.ts";
import { defaultMessageStoreOptions, type MessageStoreOptions } from "./options.ts";
import { PagePopulator } from "./page-populator.ts";
import { getMessages, lookMessage, type ReadBounds, storeTimestampAt } from "./read-messages.ts";
import { type GetRawMessageResult, type GetRawMessagesRequest, getRawMessages } from "./read-raw-messages.ts";
import { diskUsedRatio, isTimeToDelete } from "./retention.ts";
import { recoverStore } from "./store-recovery.ts";
import { createTopicTable, MAX_TOPIC_LENGTH, type TopicTable } from "./topic-table.ts";
import type {
  AppendRawResult,
  CleanResult,
  DispatchRequest,
  GetMessageResult,
  GetMessagesRequest,
  MessageInput,
  PutResult,
} from "./types.ts";

/**
 * Opens (and recovers) a store under `options.storePathRootDir`.
 * @example
 * const store = await createMessageStore({ storePathRootDir: "/data/store", flushDiskType: "SYNC_FLUSH" });
 * const put = await store.putMessage({ topic: "T", queueId: 0, body: new TextEncoder().encode("hi") });
 * const got = store.getMessages({ topic: "T", queueId: 0, queueOffset: 0, maxCount: 32 });
 * await store.close();
 */
export async function createMessageStore(options: Partial<MessageStoreOptions> = {}): Promise<MessageStore> {
  const store = new MessageStore({ ...defaultMessageStoreOptions, ...options });
  await store.open();
  return store;
}

/**
 * The broker's message store: CommitLog + ConsumeQueues + IndexFile + checkpoint, network-free.
 * Writes are async (they resolve per flush mode); reads are synchronous (from private mappings of the segments).
 */
export class MessageStore {
  readonly options: Readonly<MessageStoreOptions>;
  private readonly root: string;
  private readonly abortPath: string;
  private readonly lockPath: string;
  private readonly checkpointPath: string;
  private readonly commitLog: CommitLog;
  private readonly populator: PagePopulator | null;
  private readonly cqs: ConsumeQueueTable;
  private readonly index: MessageIndex | null;
  private checkpointFile: CheckpointFile | null = null;
  /** Per topic: bytes, index hash prefix, next queue offsets. */
  private readonly topicTable: TopicTable = createTopicTable();
  private readonly encoder: MessageEncoder;
  private readonly listeners = new Set<(r: DispatchRequest) => void>();
  /** The listeners as an array, remade when they change: iterating a Set makes an iterator per message. */
  private listenerList: ((r: DispatchRequest) => void)[] = [];
  /** Appended messages not yet dispatched, in CommitLog order (from pendingHead). */
  private pending: AppendedMessage[] = [];
  private pendingHead = 0;
  /** Everything below this is dispatched and readable. */
  private confirmedOffset = 0;
  private confirmedLastRecord = -1;
  private confirmedStoreTimestamp = 0;
  private state: "new" | "open" | "closing" | "closed" = "new";
  /** Set when a write, flush or dispatch failed: the store then refuses writes until reopened (and recovered). */
  private failure: MqError | null = null;
  private checkpointing: Promise<void> | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly decoder = createMessageRecordDecoder();

  /** Use createMessageStore, which also opens the store. */
  constructor(options: MessageStoreOptions) {
    validateOptions(options);
    this.options = Object.freeze({ ...options });
    const o = this.options;
    this.root = path.resolve(o.storePathRootDir);
    this.abortPath = path.join(this.root, "abort");
    this.lockPath = path.join(this.root, "lock");
    this.checkpointPath = path.join(this.root, "checkpoint");
    const storeHost = parseSocketAddress(o.storeHost);
    this.encoder = createMessageEncoder({
      storeHost,
      maxMessageSize: o.maxMessageSize,
      commitLogSegmentSize: o.commitLogSegmentSize,
      tagsCodeOf: o.tagsCodeOf,
      msgIdOf: createOffsetMessageIdFactory(storeHost),
      uniqKeys: createUniqKeyGenerator({ ip: storeHost.ip, pid: process.pid, clock: o.clock }),
      topics: this.topicTable,
    });
    const maxRecordSize = messageRecordSize(o.maxMessageSize, MAX_TOPIC_LENGTH, MAX_PROPERTIES_BYTES, 16, 16);
    const sync = o.flushDiskType === "SYNC_FLUSH";
    const io = openNativeIo();
    // ASYNC_FLUSH encodes into the segment mapping unless a transient store pool (append buffers + pwrite) is
    // asked for, or populating pages ahead is impossible here.
    this.populator =
      !sync && !o.transientStorePoolEnable && io.populateWrite
        ? new PagePopulator({ populateWrite: io.populateWrite })
        : null;
    this.commitLog = new CommitLog({
      dir: path.join(this.root, "commitlog"),
      segmentSize: o.commitLogSegmentSize,
      writeBufferSize: o.writeBufferSize,
      maxRecordSize,
      writeBufferCount: o.writeBufferCount,
      preallocate: io.preallocate,
      willNeed: io.willNeed,
      syncWrites: sync,
      mappedWrites: this.populator,
      dropPages: io.dropPages,
      events: {
        onWritten: (offset) => {
          if (!sync) this.drainTo(offset);
        },
        onFlushed: (offset) => {
          if (sync) this.drainTo(offset);
        },
        onFailed: (err) => {
          this.failure ??= err;
          this.failPending(err);
        },
      },
    });
    this.cqs = new ConsumeQueueTable(path.join(this.root, "consumequeue"), o.consumeQueueUnitsPerFile);
    this.index = o.messageIndexEnable
      ? new MessageIndex({
          dir: path.join(this.root, "index"),
          hashSlotNum: o.maxHashSlotNum,
          indexNum: o.maxIndexNum,
          clock: o.clock,
          populateWrite: io.populateWrite,
          dropPages: io.dropPages,
        })
      : null;
  }

  /** Loads and recovers the files, writes a fresh checkpoint and the abort marker, starts the timers. */
  async open(): Promise<void> {
    if (this.state !== "new") throw new MqError(ResponseCode.SYSTEM_ERROR, "store already opened");
    fs.mkdirSync(this.root, { recursive: true });
    this.takeLock();
    try {
      const abnormal = fs.existsSync(this.abortPath);
      const read = readCheckpoint(this.checkpointPath);
      if (typeof read === "string") this.options.logger.warn(`ignoring the checkpoint: ${read}`);
      const checkpoint = typeof read === "string" ? null : read;
      this.commitLog.queue.load();
      this.cqs.load();
      this.index?.load();
      const r = recoverStore({
        commitLog: this.commitLog,
        cqs: this.cqs,
        index: this.index,
        options: this.options,
        abnormal,
        checkpoint,
      });
      this.commitLog.setWritePosition(r.end, r.lastRecord);
      this.confirmedOffset = r.end;
      this.confirmedLastRecord = r.lastRecord;
      for (const cq of this.cqs.all()) this.topicTable.raiseQueueOffset(cq.topic, cq.queueId, cq.maxOffset);
      this.checkpointFile = new CheckpointFile(this.checkpointPath);
      this.state = "open";
      await this.checkpoint();
      fs.writeFileSync(this.abortPath, "");
    } catch (err) {
      this.state = "closed";
      this.releaseFiles();
      throw MqError.from(err);
    }
    this.startTimers();
  }

  // ---- writes -------------------------------------------------------------------------------------------------

  /** Stores one message. Resolves after the write (ASYNC_FLUSH) or after an fdatasync covers it (SYNC_FLUSH). */
  putMessage(msg: MessageInput): Promise<PutResult> {
    let m: AppendedMessage;
    try {
      this.ensureWritable();
      const now = this.options.clock();
      m = this.encoder.check(msg, now);
      this.encoder.append(m, this.commitLog, now);
    } catch (err) {
      return Promise.reject(MqError.from(err));
    }
    this.pending.push(m);
    return new Promise<PutResult>((resolve, reject) => {
      m.resolve = resolve as (value: unknown) => void;
      m.reject = reject;
      m.value = m;
    });
  }

  /**
   * Stores the messages as consecutive records, in order, with one promise for all of them; resolves when the last
   * one is durable per flush mode. All are validated before any is appended: a bad message stores nothing.
   */
  putMessages(batch: readonly MessageInput[]): Promise<PutResult[]> {
    const ms: AppendedMessage[] = [];
    try {
      this.ensureWritable();
      if (!Array.isArray(batch) || batch.length === 0) {
        throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "a message batch must be a non-empty array");
      }
      const now = this.options.clock();
      for (let i = 0; i < batch.length; i++) ms.push(this.encoder.check(batch[i]!, now));
      for (let i = 0; i < ms.length; i++) {
        this.encoder.append(ms[i]!, this.commitLog, now);
        this.pending.push(ms[i]!);
      }
    } catch (err) {
      return Promise.reject(MqError.from(err));
    }
    const last = ms[ms.length - 1]!;
    return new Promise<PutResult[]>((resolve, reject) => {
      last.resolve = resolve as (value: unknown) => void;
      last.reject = reject;
      last.value = ms;
    });
  }

  /**
   * Replication: appends records already encoded by another store (a master's CommitLog bytes) at exactly
   * `commitLogOffset`, which must be where this CommitLog ends (an empty store may start at any segment start).
   * `bytes` must be whole records, optionally ending with the blank marker of the segment; each is checked (CRC
   * and stored offset) before anything is written, then dispatched like a local append. Resolves per flush mode.
   */
  appendRaw(commitLogOffset: number, bytes: Uint8Array): Promise<AppendRawResult> {
    let reqs: DispatchRequest[];
    let endsWithBlank: boolean;
    try {
      this.ensureWritable();
      const empty = this.commitLog.queue.files.length === 0 && this.commitLog.nextOffset === 0;
      if (commitLogOffset !== this.commitLog.nextOffset) {
        if (!(empty && commitLogOffset % this.options.commitLogSegmentSize === 0)) {
          throw new MqError(
            ResponseCode.INVALID_PARAMETER,
            `appendRaw at offset ${commitLogOffset}, but the CommitLog ends at ${this.commitLog.nextOffset}`,
          );
        }
        this.commitLog.setWritePosition(commitLogOffset, -1);
        this.confirmedOffset = commitLogOffset;
      }
      ({ reqs, endsWithBlank } = this.checkRaw(commitLogOffset, bytes));
    } catch (err) {
      return Promise.reject(MqError.from(err));
    }
    return new Promise<AppendRawResult>((resolve, reject) => {
      try {
        for (const req of reqs) {
          if (req.consumeQueued)
            this.topicTable.raiseQueueOffset(req.topic, req.queueId, req.queueOffset + 1);
        }
        // Through the append buffer like local records (checkRaw made sure none needs a new segment).
        const cl = this.commitLog;
        for (const req of reqs) {
          const from = req.commitLogOffset - commitLogOffset;
          const at = cl.reserve(req.size);
          if (cl.nextOffset !== req.commitLogOffset) {
            throw new MqError(
              ResponseCode.SYSTEM_ERROR,
              `appendRaw: record ${req.commitLogOffset} would land at ${cl.nextOffset}`,
            );
          }
          cl.buffer.set(bytes.subarray(from, from + req.size), at);
          cl.commit(req.size, req.storeTimestamp);
        }
        if (endsWithBlank) cl.endSegment();
        const result: AppendRawResult = {
          records: reqs.length,
          nextPhysicalOffset: this.commitLog.nextOffset,
        };
        for (const req of reqs) {
          const m = AppendedMessage.fromDispatchRequest(req);
          m.entry = this.topicTable.lookup(req.topic);
          m.queue = this.topicTable.queue(m.entry, req.queueId);
          this.pending.push(m);
        }
        // Resolves once everything up to the end (a blank marker included) is written.
        const done = new AppendedMessage(null, undefined, null);
        done.dispatchable = false;
        done.commitLogOffset = this.commitLog.nextOffset;
        done.resolve = resolve as (value: unknown) => void;
        done.reject = reject;
        done.value = result;
        this.pending.push(done);
      } catch (err) {
        reject(MqError.from(err));
      }
    });
  }

  /**
   * Replication source: whole records starting at `commitLogOffset` (a record start), at most `maxBytes` (but
   * at least one record), not crossing a segment; a segment's blank marker (8 bytes) ends the chunk. Empty when
   * nothing readable follows yet. Throws MqError(INVALID_PARAMETER) for an offset that was deleted, lies beyond
   * the end, or is not a record start.
   */
  getCommitLogData(commitLogOffset: number, maxBytes: number): Uint8Array {
    const bounds = this.readBounds();
    if (commitLogOffset === bounds.maxPhysicalOffset) return new Uint8Array(0);
    if (commitLogOffset < bounds.minPhysicalOffset || commitLogOffset > bounds.maxPhysicalOffset) {
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `offset ${commitLogOffset} is outside [${bounds.minPhysicalOffset}, ${bounds.maxPhysicalOffset}]`,
      );
    }
    const segmentLeft = this.commitLog.remainingInSegment(commitLogOffset);
    let len = Math.min(segmentLeft, bounds.maxPhysicalOffset - commitLogOffset, Math.max(maxBytes, 8));
    let bytes = this.commitLog.read(commitLogOffset, len) ?? new Uint8Array(0);
    let view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    while (pos + 8 <= bytes.length) {
      const size = view.getInt32(pos);
      if (view.getInt32(pos + 4) === BLANK_MAGIC_CODE) {
        pos += END_FILE_MIN_BLANK_LENGTH;
        break;
      }
      if (pos === 0 && size > bytes.length && size <= segmentLeft) {
        len = size; // the first record alone is larger than maxBytes
        bytes = this.commitLog.read(commitLogOffset, len) ?? new Uint8Array(0);
        view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      const check = checkMessageRecord(bytes, view, pos, bytes.length - pos, {
        checkCRC: false,
        expectedOffset: commitLogOffset + pos,
      });
      if (check.kind !== "message") {
        if (pos === 0) {
          throw new MqError(
            ResponseCode.INVALID_PARAMETER,
            `offset ${commitLogOffset} is not a record start`,
          );
        }
        break;
      }
      pos += check.size;
    }
    return bytes.subarray(0, pos);
  }

  // ---- reads --------------------------------------------------------------------------------------------------

  /** Messages of one queue from `queueOffset`, per RocketMQ's getMessage rules and GetMessageStatus. */
  getMessages(req: GetMessagesRequest): GetMessageResult {
    return getMessages(
      this.readBounds(),
      this.cqs.find(req.topic, req.queueId),
      req,
      this.options.maxScanUnitsPerGet,
    );
  }

  /** getMessages for a filter that needs no properties but the tag: the records' bytes, copied, not decoded. */
  getRawMessages(req: GetRawMessagesRequest): GetRawMessageResult {
    return getRawMessages(
      this.readBounds(),
      this.cqs.find(req.topic, req.queueId),
      req,
      this.options.maxScanUnitsPerGet,
    );
  }

  /** The record at a CommitLog offset (e.g. from an offset msgId), or null when no record starts there. */
  lookMessageByOffset(commitLogOffset: number, size?: number): MessageExt | null {
    return lookMessage(this.readBounds(), commitLogOffset, size);
  }

  /** Smallest readable queue offset (0 for an unknown queue). */
  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.cqs.find(topic, queueId)?.minOffset ?? 0;
  }

  /** One past the last dispatched queue offset (0 for an unknown queue). */
  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.cqs.find(topic, queueId)?.maxOffset ?? 0;
  }

  /**
   * The first queue offset whose message was stored at or after `timestampMs` (binary search); maxOffset when all
   * are older, minOffset when all are newer.
   */
  getOffsetInQueueByTime(topic: string, queueId: number, timestampMs: number): number {
    const cq = this.cqs.find(topic, queueId);
    if (!cq) return 0;
    const bounds = this.readBounds();
    let lo = cq.minOffset;
    let hi = cq.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const u = cq.unit(mid);
      const t = u ? storeTimestampAt(bounds, u.commitLogOffset) : -1;
      if (t >= timestampMs) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Store timestamp of the message at `queueOffset`, or -1. */
  getMessageStoreTimeStamp(topic: string, queueId: number, queueOffset: number): number {
    const u = this.cqs.find(topic, queueId)?.unit(queueOffset);
    return u ? storeTimestampAt(this.readBounds(), u.commitLogOffset) : -1;
  }

  /** Store timestamp of the queue's oldest readable message, or -1. */
  getEarliestMessageTime(topic: string, queueId: number): number {
    return this.getMessageStoreTimeStamp(topic, queueId, this.getMinOffsetInQueue(topic, queueId));
  }

  /** Messages of `topic` whose KEYS contain `key` or whose UNIQ_KEY is `key`, stored within [beginMs, endMs]. */
  queryMessageByKey(
    topic: string,
    key: string,
    maxNum: number,
    beginMs: number,
    endMs: number,
  ): MessageExt[] {
    if (!this.index) return [];
    const bounds = this.readBounds();
    const out: MessageExt[] = [];
    for (const offset of this.index.query(topic, key, maxNum, beginMs, endMs)) {
      const m = lookMessage(bounds, offset);
      if (!m || m.topic !== topic || m.storeTimestamp < beginMs || m.storeTimestamp > endMs) continue;
      const keys = m.properties[MessageConst.PROPERTY_KEYS]?.split(MessageConst.KEY_SEPARATOR) ?? [];
      if (keys.includes(key) || m.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] === key)
        out.push(m);
    }
    return out;
  }

  /** Messages of `topic` with this UNIQ_KEY (more than one if a producer re-sent it), newest first. */
  queryMessageByUniqKey(topic: string, uniqKey: string, maxNum = 32): MessageExt[] {
    return this.queryMessageByKey(topic, uniqKey, maxNum, 0, Number.MAX_SAFE_INTEGER).filter(
      (m) => m.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] === uniqKey,
    );
  }

  /** End of the readable (dispatched) CommitLog data. */
  get maxPhysicalOffset(): number {
    return this.confirmedOffset;
  }

  /** CommitLog bytes below this are fdatasynced (what a SYNC_FLUSH put waits for). */
  get flushedPhysicalOffset(): number {
    return this.commitLog.flushedOffset;
  }

  /** CommitLog fdatasync rounds since open; with group commit one round covers many puts. */
  get flushCount(): number {
    return this.commitLog.flushCount;
  }

  /** Offset of the oldest CommitLog byte still on disk. */
  get minPhysicalOffset(): number {
    return this.commitLog.minOffset;
  }

  /** Topics that have a ConsumeQueue. */
  topics(): string[] {
    return this.cqs.topics();
  }

  /** Queue ids of a topic that have a ConsumeQueue. */
  queueIds(topic: string): number[] {
    return this.cqs.queueIds(topic);
  }

  /** Registers a listener called for every record once it is in its ConsumeQueue and index; returns an unsubscribe. */
  onDispatch(listener: (r: DispatchRequest) => void): () => void {
    this.listeners.add(listener);
    this.listenerList = [...this.listeners];
    return () => {
      this.listeners.delete(listener);
      this.listenerList = [...this.listeners];
    };
  }

  // ---- maintenance --------------------------------------------------------------------------------------------

  /** Drops the topic's ConsumeQueues (its CommitLog records stay until retention); new messages restart at 0. */
  async deleteTopic(topic: string): Promise<boolean> {
    this.ensureWritable();
    const existed = this.cqs.deleteTopic(topic);
    this.topicTable.delete(topic);
    // A checkpoint now keeps recovery from re-creating the queues from records before the deletion.
    await this.checkpoint();
    return existed;
  }

  /**
   * Retention. Deletes the oldest CommitLog files that expired (fileReservedTimeHours by mtime) when the hour is in
   * deleteWhen, disk usage is above diskMaxUsedSpaceRatio, or `force`; above diskSpaceCleanForciblyRatio even
   * unexpired ones. Never the file being written. Then trims ConsumeQueues and index to the new minimum.
   */
  cleanExpiredFiles(opts: { force?: boolean } = {}): CleanResult {
    this.ensureWritable();
    const o = this.options;
    const now = o.clock();
    const ratio = diskUsedRatio(this.root);
    const due = opts.force || isTimeToDelete(o.deleteWhen, now) || ratio > o.diskMaxUsedSpaceRatio;
    const forcibly = ratio > o.diskSpaceCleanForciblyRatio;
    let deleted = 0;
    if (due || forcibly) {
      const reservedMs = o.fileReservedTimeHours * 3_600_000;
      const files = this.commitLog.queue.files;
      while (deleted < o.deleteFileBatchMax && files.length > 1) {
        const first = files[0]!;
        const settled =
          first.fileEndOffset <= this.commitLog.flushedOffset && first.fileEndOffset <= this.confirmedOffset;
        const expired = now - first.lastModified() >= reservedMs;
        if (!settled || !(expired || forcibly)) break;
        this.commitLog.queue.deleteFirst();
        deleted++;
      }
    }
    const min = this.commitLog.minOffset;
    if (deleted > 0) {
      for (const cq of this.cqs.all()) cq.deleteExpired(min);
      this.index?.deleteExpired(min);
      o.logger.info(`retention: deleted ${deleted} CommitLog file(s), oldest offset now ${min}`);
    }
    return { deletedCommitLogFiles: deleted, minPhysicalOffset: min };
  }

  /** Writes and fdatasyncs everything, then writes a checkpoint. */
  async flush(): Promise<void> {
    this.ensureWritable();
    await this.commitLog.flushAll();
    await this.checkpoint();
  }

  /** Flushes, checkpoints, removes the abort marker and closes the files. Puts still pending complete first. */
  async close(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "closing";
    for (const t of this.timers) clearInterval(t);
    let failure: unknown = null;
    try {
      await this.commitLog.flushAll();
      this.drainTo(this.commitLog.flushedOffset);
      await this.checkpoint();
      fs.rmSync(this.abortPath, { force: true });
    } catch (err) {
      failure = err;
    }
    await this.commitLog.settle(); // no write may still use a file descriptor when the files close
    this.state = "closed";
    this.releaseFiles();
    if (failure) throw MqError.from(failure);
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  /** Validates replicated bytes and decodes their dispatch requests; nothing is written yet. */
  private checkRaw(
    commitLogOffset: number,
    bytes: Uint8Array,
  ): { reqs: DispatchRequest[]; endsWithBlank: boolean } {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      throw new MqError(ResponseCode.INVALID_PARAMETER, "appendRaw needs a non-empty Uint8Array");
    }
    const segmentLeft = this.commitLog.remainingInSegment(commitLogOffset);
    if (bytes.length > segmentLeft) {
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `appendRaw of ${bytes.length} bytes crosses a segment end`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const reqs: DispatchRequest[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const left = segmentLeft - pos;
      if (bytes.length - pos >= 8 && view.getInt32(pos + 4) === BLANK_MAGIC_CODE) {
        if (view.getInt32(pos) !== left) {
          throw new MqError(
            ResponseCode.INVALID_PARAMETER,
            `blank marker at ${commitLogOffset + pos} covers ${view.getInt32(pos)} bytes, the segment has ${left} left (segment sizes differ?)`,
          );
        }
        return { reqs, endsWithBlank: true };
      }
      const check = checkMessageRecord(bytes, view, pos, bytes.length - pos, {
        checkCRC: true,
        expectedOffset: commitLogOffset + pos,
      });
      if (check.kind !== "message") {
        const why = check.kind === "corrupt" ? check.reason : `a ${check.kind} marker`;
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          `appendRaw: bad record at ${commitLogOffset + pos}: ${why}`,
        );
      }
      if (check.size + END_FILE_MIN_BLANK_LENGTH > left) {
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          `appendRaw: record at ${commitLogOffset + pos} leaves no room for a blank marker`,
        );
      }
      reqs.push(decodeDispatchRequest(bytes, view, pos, check.size, check.layout, this.options.tagsCodeOf));
      pos += check.size;
    }
    return { reqs, endsWithBlank: false };
  }

  /** Dispatches appended records up to `boundary` in order, then resolves their puts. */
  private drainTo(boundary: number): void {
    const pending = this.pending;
    let head = this.pendingHead;
    try {
      while (head < pending.length) {
        const m = pending[head]!;
        if (m.commitLogOffset + m.size > boundary) break;
        if (m.dispatchable) this.dispatch(m);
        head++;
        if (m.resolve) m.resolve(m.value);
      }
    } catch (err) {
      // A ConsumeQueue or index write failed (disk full, I/O error): stop taking writes, recovery will redo it.
      this.pendingHead = head;
      const failure = new MqError(ResponseCode.SYSTEM_ERROR, `dispatch failed: ${(err as Error)?.message}`, {
        cause: err,
      });
      this.failure ??= failure;
      this.failPending(failure);
      return;
    }
    if (head === pending.length) {
      this.pending = [];
      head = 0;
    } else if (head > 4096 && head * 2 > pending.length) {
      this.pending = pending.slice(head);
      head = 0;
    }
    this.pendingHead = head;
    if (boundary > this.confirmedOffset) this.confirmedOffset = boundary;
  }

  private dispatch(m: AppendedMessage): void {
    if (m.consumeQueued) {
      const q = m.queue!;
      if (q.cq === null) q.cq = this.cqs.findOrCreate(m.topic, m.queueId);
      q.cq.put(m.queueOffset, m.commitLogOffset, m.size, m.tagsCode);
    }
    this.index?.buildIndex(
      m.entry!.indexHashPrefix,
      m.commitLogOffset,
      m.storeTimestamp,
      m.sysFlag,
      m.uniqKeyHash >= 0 ? undefined : m.uniqKey, // a generated key comes hashed, its string is not needed
      m.keys,
      m.uniqKeyHash,
    );
    const end = m.commitLogOffset + m.size;
    if (end > this.confirmedOffset) this.confirmedOffset = end; // listeners may read it right away
    this.confirmedLastRecord = m.commitLogOffset;
    this.confirmedStoreTimestamp = m.storeTimestamp;
    const listeners = this.listenerList;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i]!;
      try {
        listener(m);
      } catch (err) {
        this.options.logger.warn(`onDispatch listener threw: ${(err as Error)?.message ?? err}`);
      }
    }
  }

  private failPending(err: MqError): void {
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.reject?.(err);
    this.pending = [];
    this.pendingHead = 0;
  }

  /**
   * fdatasync ConsumeQueues and index, then record in the checkpoint how far each is durable. Offsets are taken
   * before the flushes, so they never claim more than was flushed. The timer skips a round while one runs; other
   * callers wait for it and then take a fresh one.
   */
  private async checkpoint(skipIfRunning = false): Promise<void> {
    if (this.checkpointing) {
      if (skipIfRunning) return;
      await this.checkpointing.catch(() => {});
    }
    const file = this.checkpointFile;
    if (!file) return;
    const cl = this.commitLog;
    const dispatched = this.confirmedOffset;
    const cp: StoreCheckpoint = {
      physicMsgTimestamp: cl.flushedStoreTimestamp,
      logicsMsgTimestamp: this.confirmedStoreTimestamp,
      indexMsgTimestamp: this.confirmedStoreTimestamp,
      masterFlushedOffset: 0,
      confirmPhyOffset: cl.flushedOffset,
      physicFlushedOffset: cl.flushedOffset,
      logicsOffset: dispatched,
      indexOffset: dispatched,
      scanFromOffset: Math.min(cl.flushedLastRecord, this.confirmedLastRecord),
      index: this.index?.state() ?? { fileName: "", indexCount: 0 },
    };
    const run = (async () => {
      await Promise.all([this.cqs.flush(), this.index?.flush()]);
      await file.write(cp);
    })();
    this.checkpointing = run;
    try {
      await run;
    } finally {
      if (this.checkpointing === run) this.checkpointing = null;
    }
  }

  private startTimers(): void {
    const o = this.options;
    const every = (ms: number, fn: () => unknown) => {
      if (ms <= 0) return;
      const t = setInterval(() => {
        if (this.state !== "open") return;
        Promise.resolve()
          .then(fn)
          .catch((err) => o.logger.warn(`store timer: ${(err as Error)?.message ?? err}`));
      }, ms);
      t.unref?.();
      this.timers.push(t);
    };
    if (o.flushDiskType === "ASYNC_FLUSH") every(o.flushIntervalMs, () => this.commitLog.requestSync());
    every(o.checkpointIntervalMs, () => this.checkpoint(true));
    every(o.cleanResourceIntervalMs, () => this.cleanExpiredFiles());
  }

  private readBounds(): ReadBounds {
    return {
      commitLog: this.commitLog,
      minPhysicalOffset: this.commitLog.minOffset,
      maxPhysicalOffset: this.confirmedOffset,
      decode: this.decoder,
    };
  }

  private ensureWritable(): void {
    if (this.state !== "open") {
      throw new MqError(ResponseCode.SERVICE_NOT_AVAILABLE, `message store is ${this.state}`);
    }
    if (this.failure) {
      throw new MqError(ResponseCode.SERVICE_NOT_AVAILABLE, `message store failed: ${this.failure.message}`);
    }
  }

  private takeLock(): void {
    if (fs.existsSync(this.lockPath)) {
      const pid = Number.parseInt(fs.readFileSync(this.lockPath, "utf8"), 10);
      if (pid > 0 && isAlive(pid)) {
        throw new MqError(
          ResponseCode.SYSTEM_ERROR,
          `store ${this.root} is in use by process ${pid} (remove ${this.lockPath} if that is wrong)`,
        );
      }
    }
    fs.writeFileSync(this.lockPath, String(process.pid));
  }

  private releaseFiles(): void {
    this.commitLog.close();
    this.populator?.close();
    this.cqs.close();
    this.index?.close();
    this.checkpointFile?.close();
    this.checkpointFile = null;
    fs.rmSync(this.lockPath, { force: true });
  }
}

function validateOptions(o: MessageStoreOptions): void {
  const bad = (what: string) => new MqError(ResponseCode.INVALID_PARAMETER, `store option ${what}`);
  if (!Number.isInteger(o.commitLogSegmentSize) || o.commitLogSegmentSize < 4096) {
    throw bad("commitLogSegmentSize must be an integer >= 4096");
  }
  if (!Number.isInteger(o.consumeQueueUnitsPerFile) || o.consumeQueueUnitsPerFile < 1) {
    throw bad("consumeQueueUnitsPerFile must be a positive integer");
  }
  if (o.flushDiskType !== "ASYNC_FLUSH" && o.flushDiskType !== "SYNC_FLUSH") {
    throw bad(`flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, not ${o.flushDiskType}`);
  }
  if (!Number.isInteger(o.maxMessageSize) || o.maxMessageSize < 0) throw bad("maxMessageSize must be >= 0");
  if (o.maxHashSlotNum < 1 || o.maxIndexNum < 2)
    throw bad("maxHashSlotNum >= 1 and maxIndexNum >= 2 are required");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
