import { tagsStringToTagsCode } from "../../proto/message/index.ts";

export type FlushDiskType = "ASYNC_FLUSH" | "SYNC_FLUSH";

/** Where recovery and retention report what they did. pino's Logger fits. */
export interface StoreLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface MessageStoreOptions {
  storePathRootDir: string;
  /** CommitLog segment size (mappedFileSizeCommitLog). */
  commitLogSegmentSize: number;
  /** Units per ConsumeQueue file; a unit is 20 bytes. */
  consumeQueueUnitsPerFile: number;
  /** SYNC_FLUSH: a put resolves after an fdatasync covers it. ASYNC_FLUSH: after the write reaches the OS. */
  flushDiskType: FlushDiskType;
  /** ASYNC_FLUSH: CommitLog fdatasync period (flushIntervalCommitLog). */
  flushIntervalMs: number;
  /** ConsumeQueue + index fdatasync and checkpoint period (flushIntervalConsumeQueue). */
  checkpointIntervalMs: number;
  /** Largest body accepted. */
  maxMessageSize: number;
  /** CommitLog files older than this (by mtime) may be deleted. */
  fileReservedTimeHours: number;
  /** Hours of day ("04", or "04;05") when expired files are deleted. */
  deleteWhen: string;
  /** Above this disk usage (%), expired files are deleted at any hour. */
  diskMaxUsedSpaceRatio: number;
  /** Above this disk usage (%), the oldest files are deleted even before they expire. */
  diskSpaceCleanForciblyRatio: number;
  /** Period of the retention check; 0 turns the timer off (cleanExpiredFiles still works). */
  cleanResourceIntervalMs: number;
  /** Most CommitLog files deleted per retention round. */
  deleteFileBatchMax: number;
  /** "ip:port" written into every record and into offset message ids. */
  storeHost: string;
  /** Store timestamps, expiry and index file names read this clock. */
  clock: () => number;
  /** Verify body CRCs while recovering. */
  checkCrcOnRecover: boolean;
  /** Build the IndexFile (lookup by key, UNIQ_KEY and time). */
  messageIndexEnable: boolean;
  /** Hash slots per IndexFile. */
  maxHashSlotNum: number;
  /** Entries per IndexFile. */
  maxIndexNum: number;
  /**
   * The tagsCode of a ConsumeQueue unit. Default: Java hashCode of TAGS. The broker may override it, e.g. to put the
   * delivery time into SCHEDULE_TOPIC_XXXX units as RocketMQ does. Must be a pure function of its arguments:
   * recovery and replication call it again for the same record.
   */
  tagsCodeOf: (topic: string, properties: Readonly<Record<string, string>>, storeTimestamp: number) => number;
  /**
   * ASYNC_FLUSH only (RocketMQ's option of the same name): true gathers appends in buffers written with pwrite
   * (writeBufferSize, writeBufferCount) instead of encoding them straight into the segment's shared mapping, whose
   * pages a second thread populates ahead (docs/storage.md). SYNC_FLUSH always writes through buffers (O_DSYNC).
   */
  transientStorePoolEnable: boolean;
  /**
   * Appends are gathered in a buffer and written with one pwrite per event-loop turn, or as soon as this many bytes
   * are buffered.
   */
  writeBufferSize: number;
  /**
   * Append buffers. Writes of 64 KiB or more run off the event loop while the next buffer fills, so encoding and
   * the kernel's copy overlap; 1 writes every buffer in place.
   */
  writeBufferCount: number;
  /** Most ConsumeQueue units one getMessages call looks at (maxFilterMessageCount). */
  maxScanUnitsPerGet: number;
  logger: StoreLogger;
}

export const defaultMessageStoreOptions: Readonly<MessageStoreOptions> = Object.freeze({
  storePathRootDir: "store",
  commitLogSegmentSize: 1024 * 1024 * 1024,
  consumeQueueUnitsPerFile: 300_000,
  flushDiskType: "ASYNC_FLUSH",
  flushIntervalMs: 500,
  checkpointIntervalMs: 1000,
  maxMessageSize: 4 * 1024 * 1024,
  fileReservedTimeHours: 72,
  deleteWhen: "04",
  diskMaxUsedSpaceRatio: 75,
  diskSpaceCleanForciblyRatio: 85,
  cleanResourceIntervalMs: 10_000,
  deleteFileBatchMax: 10,
  storeHost: "127.0.0.1:10911",
  clock: Date.now,
  checkCrcOnRecover: true,
  messageIndexEnable: true,
  maxHashSlotNum: 5_000_000,
  maxIndexNum: 20_000_000,
  tagsCodeOf: (_topic: string, properties: Readonly<Record<string, string>>) =>
    tagsStringToTagsCode(properties.TAGS),
  transientStorePoolEnable: false,
  writeBufferSize: 1024 * 1024,
  writeBufferCount: 4,
  maxScanUnitsPerGet: 16_000,
  logger: Object.freeze({ info: () => {}, warn: (msg: string) => console.warn(`[store] ${msg}`) }),
} satisfies MessageStoreOptions);
