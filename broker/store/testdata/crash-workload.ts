import type { FlushDiskType, MessageStoreOptions } from "../options.ts";

/** One acknowledged message as the crash test records it. */
export interface Ack {
  i: number;
  commitLogOffset: number;
  queueId: number;
  queueOffset: number;
  /** crc32 of the whole stored record. */
  crc: number;
}

/**
 * Small files so that segments, ConsumeQueue files and index files roll during a short run. ASYNC_FLUSH writes
 * into the segment mappings (a SIGKILL leaves the page cache, so acknowledged messages must survive it too).
 */
export function crashStoreOptions(dir: string, flushDiskType: FlushDiskType): Partial<MessageStoreOptions> {
  return {
    storePathRootDir: dir,
    flushDiskType,
    commitLogSegmentSize: 64 * 1024,
    consumeQueueUnitsPerFile: 256,
    maxHashSlotNum: 256,
    maxIndexNum: 1024,
    maxMessageSize: 4096,
    checkpointIntervalMs: 15,
    cleanResourceIntervalMs: 0,
    logger: { info: () => {}, warn: () => {} },
  };
}

/** Deterministic body of message i, 20..1499 bytes. */
export function crashBody(i: number): Uint8Array {
  const length = 20 + ((i * 7919) % 1480);
  const b = new Uint8Array(length);
  for (let k = 0; k < length; k++) b[k] = (i + k * 13) & 0xff;
  return b;
}

export function parseAck(line: string): Ack | null {
  const p = line.split(" ");
  if (p[0] !== "A" || p.length !== 6) return null;
  const [i, commitLogOffset, queueId, queueOffset, crc] = p.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { i, commitLogOffset, queueId, queueOffset, crc };
}
