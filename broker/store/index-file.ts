import * as fs from "node:fs";
import { getInt64, setInt64 } from "../../proto/message/index.ts";
import type { DropPages, PopulateWrite } from "./native-io.ts";

/** IndexFile layout (RocketMQ): 40-byte header, hash slots of 4 bytes, entries of 20 bytes. */
export const INDEX_HEADER_SIZE = 40;
const HASH_SLOT_SIZE = 4;
const INDEX_ENTRY_SIZE = 20;
/** Entries are mapped writable this many bytes ahead of the next one (see populateWrite). */
const POPULATE_AHEAD = 1024 * 1024;

/** RocketMQ's indexKeyHashMethod on a String.hashCode: its absolute value, Integer.MIN_VALUE mapped to 0. */
export function positiveKeyHash(hashCode: number): number {
  return hashCode === -2147483648 ? 0 : Math.abs(hashCode);
}

/** The index hash of the key `${topic}#${key}`, computed without building that string. */
export function indexKeyHash(topic: string, key: string): number {
  return indexKeyHashWith(indexKeyHashPrefix(topic), key);
}

/** The String.hashCode state after `${topic}#`: a writer computes it once per topic. */
export function indexKeyHashPrefix(topic: string): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(31, h) + topic.charCodeAt(i)) | 0;
  return (Math.imul(31, h) + 35) | 0; // '#'
}

/** indexKeyHash from the topic's indexKeyHashPrefix. */
export function indexKeyHashWith(prefix: number, key: string): number {
  let h = prefix;
  for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
  return positiveKeyHash(h);
}

export function indexFileSize(hashSlotNum: number, indexNum: number): number {
  return INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + indexNum * INDEX_ENTRY_SIZE;
}

/**
 * One hash index file: slot[keyHash % slots] holds the newest entry number for that slot, and each entry
 * (keyHash, phyOffset, seconds since beginTimestamp, previous entry number) chains to the older ones. Entry 0 is
 * unused, so indexCount starts at 1. Read and written through a mapping.
 */
export class IndexFile {
  readonly path: string;
  readonly name: string;
  readonly hashSlotNum: number;
  readonly indexNum: number;
  private fd: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Copies of header fields putKey reads for every entry (the mapping stays the truth; readHeader reloads). */
  private count = 0;
  private begin = 0;
  private entriesAt = 0;
  private readonly populateWrite: PopulateWrite | null;
  /** Entry bytes below this were populated writable (populateWrite). */
  private populatedTo = 0;

  private constructor(
    filePath: string,
    name: string,
    hashSlotNum: number,
    indexNum: number,
    fd: number,
    populateWrite: PopulateWrite | null,
  ) {
    this.path = filePath;
    this.name = name;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
    this.fd = fd;
    this.bytes = Bun.mmap(filePath);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.entriesAt = INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE;
    this.populateWrite = populateWrite;
    this.readHeader();
  }

  /**
   * Creates an empty file (sparse: untouched entries cost no disk). With `populateWrite` the header and hash
   * slots are mapped writable at once: random keys touch every slot page soon, and one call is cheaper than a
   * read fault plus a write fault for each of them (docs/storage.md).
   */
  static create(
    filePath: string,
    name: string,
    hashSlotNum: number,
    indexNum: number,
    populateWrite: PopulateWrite | null = null,
  ): IndexFile {
    const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(filePath, O_RDWR | O_CREAT | O_EXCL, 0o644);
    fs.ftruncateSync(fd, indexFileSize(hashSlotNum, indexNum));
    const file = new IndexFile(filePath, name, hashSlotNum, indexNum, fd, populateWrite);
    populateWrite?.(file.bytes, 0, file.entriesAt);
    file.indexCount = 1;
    return file;
  }

  /** Opens an existing file; null when its size does not match the slot/entry options. */
  static open(
    filePath: string,
    name: string,
    hashSlotNum: number,
    indexNum: number,
    populateWrite: PopulateWrite | null = null,
  ): IndexFile | null {
    const fd = fs.openSync(filePath, "r+");
    if (fs.fstatSync(fd).size !== indexFileSize(hashSlotNum, indexNum)) {
      fs.closeSync(fd);
      return null;
    }
    const file = new IndexFile(filePath, name, hashSlotNum, indexNum, fd, populateWrite);
    if (file.indexCount < 1) file.indexCount = 1;
    return file;
  }

  get beginTimestamp(): number {
    return getInt64(this.view, 0);
  }
  get endTimestamp(): number {
    return getInt64(this.view, 8);
  }
  get beginPhyOffset(): number {
    return getInt64(this.view, 16);
  }
  get endPhyOffset(): number {
    return getInt64(this.view, 24);
  }
  get hashSlotCount(): number {
    return this.view.getInt32(32);
  }
  get indexCount(): number {
    return this.view.getInt32(36);
  }
  private set indexCount(n: number) {
    this.view.setInt32(36, n);
    this.count = n;
  }

  isFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  /** Adds a key (by its indexKeyHash) for the record at `phyOffset`; false when the file is full. */
  putKey(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    const count = this.count;
    if (count >= this.indexNum) return false;
    const view = this.view;
    const slotAt = INDEX_HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let slotValue = view.getInt32(slotAt);
    if (slotValue <= 0 || slotValue > count) slotValue = 0;
    if (count <= 1) {
      setInt64(view, 16, phyOffset);
      setInt64(view, 0, storeTimestamp);
      this.begin = storeTimestamp;
    }
    const begin = this.begin;
    let timeDiff = begin <= 0 ? 0 : Math.floor((storeTimestamp - begin) / 1000);
    timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    const entryAt = this.entriesAt + count * INDEX_ENTRY_SIZE;
    if (entryAt >= this.populatedTo && this.populateWrite) {
      this.populateWrite(this.bytes, entryAt, POPULATE_AHEAD);
      this.populatedTo = entryAt + POPULATE_AHEAD;
    }
    view.setInt32(entryAt, keyHash);
    setInt64(view, entryAt + 4, phyOffset);
    view.setInt32(entryAt + 12, timeDiff);
    view.setInt32(entryAt + 16, slotValue);
    view.setInt32(slotAt, count);
    if (slotValue === 0) view.setInt32(32, view.getInt32(32) + 1);
    this.indexCount = count + 1;
    setInt64(view, 24, phyOffset);
    setInt64(view, 8, storeTimestamp);
    return true;
  }

  /** Whether [begin, end] overlaps the file's time range. */
  isTimeMatched(begin: number, end: number): boolean {
    return this.beginTimestamp <= end && this.endTimestamp >= begin;
  }

  /** Appends to `out` the phyOffsets of entries with `keyHash` stored within [begin, end], newest first. */
  selectPhyOffsets(out: number[], keyHash: number, maxNum: number, begin: number, end: number): void {
    const count = this.indexCount;
    const slotAt = INDEX_HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let next = this.view.getInt32(slotAt);
    const fileBegin = this.beginTimestamp;
    let steps = 0;
    while (next > 0 && next < count && out.length < maxNum && steps++ < count) {
      const at = this.entryAt(next);
      const timeRead = fileBegin + this.view.getInt32(at + 12) * 1000;
      if (this.view.getInt32(at) === keyHash && timeRead >= begin - 999 && timeRead <= end) {
        out.push(getInt64(this.view, at + 4));
      }
      const prev = this.view.getInt32(at + 16);
      if (prev <= 0 || prev >= next || timeRead < begin - 999) break;
      next = prev;
    }
  }

  /** Whether a hash slot points at entry `count` or later (written after a checkpoint that had `count`). */
  hasSlotAtOrPast(count: number): boolean {
    for (let i = 0; i < this.hashSlotNum; i++) {
      if (this.view.getInt32(INDEX_HEADER_SIZE + i * HASH_SLOT_SIZE) >= count) return true;
    }
    return false;
  }

  /**
   * Crash recovery: forgets entries from `count` on (zeroed on disk) and rebuilds the slot table from the entries
   * kept, whose chain links were flushed with them. Slots written after the checkpoint may point at lost entries.
   */
  rollbackTo(count: number): void {
    const keep = Math.max(1, count);
    const slotsAt = INDEX_HEADER_SIZE;
    const entriesAt = slotsAt + this.hashSlotNum * HASH_SLOT_SIZE;
    const size = indexFileSize(this.hashSlotNum, this.indexNum);
    fs.ftruncateSync(this.fd, entriesAt + keep * INDEX_ENTRY_SIZE);
    fs.ftruncateSync(this.fd, size);
    this.bytes.fill(0, slotsAt, entriesAt);
    let used = 0;
    let lastPhy = 0;
    let lastTime = 0;
    for (let i = 1; i < keep; i++) {
      const at = this.entryAt(i);
      const slotAt = slotsAt + (this.view.getInt32(at) % this.hashSlotNum) * HASH_SLOT_SIZE;
      if (this.view.getInt32(slotAt) === 0) used++;
      this.view.setInt32(slotAt, i);
      lastPhy = getInt64(this.view, at + 4);
      lastTime = this.view.getInt32(at + 12);
    }
    this.view.setInt32(32, used);
    this.indexCount = keep;
    if (keep > 1) {
      setInt64(this.view, 24, lastPhy);
      setInt64(this.view, 8, this.beginTimestamp + lastTime * 1000);
    } else {
      this.bytes.fill(0, 0, 32);
    }
    this.readHeader();
  }

  flush(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * After a flush that covered the first `count` entries: unmaps their pages (and, when `all`, the header and
   * slots too: a file no longer written). They are written and only queries read them, which map them again.
   */
  dropFlushed(dropPages: DropPages, count: number, all: boolean): void {
    if (all) dropPages(this.bytes, 0, this.bytes.byteLength);
    else dropPages(this.bytes, this.entriesAt, this.entryAt(count) - this.entriesAt);
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  destroy(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }

  private entryAt(n: number): number {
    return this.entriesAt + n * INDEX_ENTRY_SIZE;
  }

  private readHeader(): void {
    this.count = this.view.getInt32(36);
    this.begin = getInt64(this.view, 0);
  }
}
