import * as fs from "node:fs";
import { getInt64, setInt64 } from "../../proto/message/index.ts";
import type { IndexState } from "./message-index.ts";

/**
 * The `checkpoint` file: one 4 KiB page. Bytes 0..39 are RocketMQ's StoreCheckpoint fields; bunmq adds the
 * offsets recovery starts from and a CRC (layout in README.md).
 */
export interface StoreCheckpoint {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  masterFlushedOffset: number;
  confirmPhyOffset: number;
  /** CommitLog bytes below this were fdatasynced. */
  physicFlushedOffset: number;
  /** ConsumeQueue units of every record below this were fdatasynced. */
  logicsOffset: number;
  /** Index entries of every record below this were fdatasynced. */
  indexOffset: number;
  /** Start of a record at or below all three offsets above: recovery verifies from here (-1: from the start). */
  scanFromOffset: number;
  /** The active IndexFile then, and its entry count. */
  index: IndexState;
}

export const CHECKPOINT_FILE_SIZE = 4096;
const MAGIC = 0x424d5143; // "BMQC"
const VERSION = 1;
const INDEX_COUNT_AT = 80;
const INDEX_NAME_AT = 84;
const INDEX_NAME_LEN = 20;
const CRC_AT = 104;

export function encodeCheckpoint(cp: StoreCheckpoint): Uint8Array {
  const bytes = new Uint8Array(CHECKPOINT_FILE_SIZE);
  const view = new DataView(bytes.buffer);
  setInt64(view, 0, cp.physicMsgTimestamp);
  setInt64(view, 8, cp.logicsMsgTimestamp);
  setInt64(view, 16, cp.indexMsgTimestamp);
  setInt64(view, 24, cp.masterFlushedOffset);
  setInt64(view, 32, cp.confirmPhyOffset);
  view.setInt32(40, MAGIC);
  view.setInt32(44, VERSION);
  setInt64(view, 48, cp.physicFlushedOffset);
  setInt64(view, 56, cp.logicsOffset);
  setInt64(view, 64, cp.indexOffset);
  setInt64(view, 72, cp.scanFromOffset);
  view.setInt32(INDEX_COUNT_AT, cp.index.indexCount);
  new TextEncoder().encodeInto(cp.index.fileName.slice(0, INDEX_NAME_LEN), bytes.subarray(INDEX_NAME_AT));
  view.setInt32(CRC_AT, Bun.hash.crc32(bytes.subarray(0, CRC_AT)) | 0);
  return bytes;
}

/** The checkpoint in `bytes`, or a reason it cannot be trusted. */
export function decodeCheckpoint(bytes: Uint8Array): StoreCheckpoint | string {
  if (bytes.length < CRC_AT + 4) return `checkpoint is ${bytes.length} bytes long`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getInt32(40) !== MAGIC) return "checkpoint has no bunmq magic";
  if (view.getInt32(44) !== VERSION) return `checkpoint version ${view.getInt32(44)} is not ${VERSION}`;
  if (view.getInt32(CRC_AT) !== (Bun.hash.crc32(bytes.subarray(0, CRC_AT)) | 0))
    return "checkpoint CRC mismatch";
  const nameBytes = bytes.subarray(INDEX_NAME_AT, INDEX_NAME_AT + INDEX_NAME_LEN);
  const nameEnd = nameBytes.indexOf(0);
  return {
    physicMsgTimestamp: getInt64(view, 0),
    logicsMsgTimestamp: getInt64(view, 8),
    indexMsgTimestamp: getInt64(view, 16),
    masterFlushedOffset: getInt64(view, 24),
    confirmPhyOffset: getInt64(view, 32),
    physicFlushedOffset: getInt64(view, 48),
    logicsOffset: getInt64(view, 56),
    indexOffset: getInt64(view, 64),
    scanFromOffset: getInt64(view, 72),
    index: {
      indexCount: view.getInt32(INDEX_COUNT_AT),
      fileName: new TextDecoder().decode(nameEnd < 0 ? nameBytes : nameBytes.subarray(0, nameEnd)),
    },
  };
}

/** Reads the checkpoint file: the checkpoint, null when absent, or the reason it is unusable. */
export function readCheckpoint(filePath: string): StoreCheckpoint | string | null {
  if (!fs.existsSync(filePath)) return null;
  return decodeCheckpoint(new Uint8Array(fs.readFileSync(filePath)));
}

/** Holds the checkpoint file open; each write is one pwrite of the page plus fdatasync. */
export class CheckpointFile {
  private fd: number;

  constructor(filePath: string) {
    this.fd = fs.openSync(filePath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  async write(cp: StoreCheckpoint): Promise<void> {
    const bytes = encodeCheckpoint(cp);
    fs.writeSync(this.fd, bytes, 0, bytes.length, 0);
    await new Promise<void>((resolve, reject) =>
      fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
