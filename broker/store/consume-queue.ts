import * as path from "node:path";
import { getInt64, setInt64 } from "../../proto/message/index.ts";
import type { MappedFile } from "./mapped-file.ts";
import { MappedFileQueue } from "./mapped-file-queue.ts";

/** A ConsumeQueue unit: commitLogOffset int64 | size int32 | tagsCode int64. */
export const CQ_STORE_UNIT_SIZE = 20;

export interface ConsumeQueueUnit {
  commitLogOffset: number;
  size: number;
  tagsCode: number;
}

/**
 * The index of one topic/queue into the CommitLog: unit N (the message with queueOffset N) sits at byte N*20 of
 * the queue's files. Units are written and read through a mapping of each file. A unit with size 0 was never
 * written.
 */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  /** Smallest queueOffset still readable. */
  minOffset = 0;
  /** The next queueOffset to be written (one past the last unit). */
  maxOffset = 0;
  private readonly files: MappedFileQueue;
  private readonly unitsPerFile: number;
  private readonly dirty = new Set<MappedFile>();
  /** The mapping `put` wrote last and the unit bytes it covers; reset whenever `dirty` or the files change. */
  private writeView: DataView | null = null;
  private writeFrom = 0;
  private writeEnd = 0;

  constructor(rootDir: string, topic: string, queueId: number, unitsPerFile: number) {
    this.topic = topic;
    this.queueId = queueId;
    this.unitsPerFile = unitsPerFile;
    this.files = new MappedFileQueue(
      path.join(rootDir, topic, String(queueId)),
      unitsPerFile * CQ_STORE_UNIT_SIZE,
      null,
    );
  }

  load(): void {
    this.files.load();
  }

  /**
   * Finds where the written units end after a restart: a binary search for the last written unit in the last file
   * that has one, then the first written unit of the first file. Units written but not flushed before a crash may
   * leave holes at the end; recovery re-dispatches that part and calls truncateDirty.
   */
  recover(): void {
    const files = this.files.files;
    this.minOffset = this.maxOffset = files.length === 0 ? 0 : this.unitIndexOf(files[0]!.fileFromOffset);
    for (let i = files.length - 1; i >= 0; i--) {
      const first = this.unitIndexOf(files[i]!.fileFromOffset);
      const last = this.lastWrittenIn(first, first + this.unitsPerFile);
      if (last >= 0) {
        this.maxOffset = last + 1;
        break;
      }
    }
    this.minOffset = this.firstValidAtOrAfter(this.minOffset, 0);
  }

  /** Writes the unit for `queueOffset` (overwriting is harmless: re-dispatch writes the same bytes). */
  put(queueOffset: number, commitLogOffset: number, size: number, tagsCode: number): void {
    if (queueOffset < this.minOffset && this.files.files.length > 0) return;
    const at = queueOffset * CQ_STORE_UNIT_SIZE;
    let view = this.writeView;
    if (view === null || at < this.writeFrom || at >= this.writeEnd) {
      const file = this.files.getOrCreate(at);
      view = file.view().view;
      this.dirty.add(file);
      this.writeView = view;
      this.writeFrom = file.fileFromOffset;
      this.writeEnd = file.fileEndOffset;
    }
    const pos = at - this.writeFrom;
    setInt64(view, pos, commitLogOffset);
    view.setInt32(pos + 8, size);
    setInt64(view, pos + 12, tagsCode);
    if (this.files.files.length === 1 && this.maxOffset === this.minOffset && queueOffset > this.minOffset) {
      this.minOffset = queueOffset; // a queue that starts mid-way (a replica copying a master's later segments)
    }
    if (queueOffset >= this.maxOffset) this.maxOffset = queueOffset + 1;
  }

  /** The unit at `queueOffset`, or null when it is outside the files or was never written. */
  unit(queueOffset: number): ConsumeQueueUnit | null {
    const at = queueOffset * CQ_STORE_UNIT_SIZE;
    const file = this.files.findByOffset(at);
    if (!file) return null;
    const { view } = file.view();
    const pos = at - file.fileFromOffset;
    const size = view.getInt32(pos + 8);
    const commitLogOffset = getInt64(view, pos);
    if (size <= 0 || commitLogOffset < 0) return null;
    return { commitLogOffset, size, tagsCode: getInt64(view, pos + 12) };
  }

  /**
   * After recovery: drops units pointing at or past `commitLogEnd` (records truncated from the CommitLog) and any
   * unwritten hole at the end, so that maxOffset follows the last unit that still has its record.
   */
  truncateDirty(commitLogEnd: number): void {
    let q = this.maxOffset - 1;
    while (q >= this.minOffset) {
      const u = this.unit(q);
      if (u && u.commitLogOffset + u.size <= commitLogEnd) break;
      q--;
    }
    this.maxOffset = Math.max(q + 1, this.minOffset);
    this.writeView = null;
    this.files.truncateFrom(this.maxOffset * CQ_STORE_UNIT_SIZE);
    for (const f of this.dirty) if (!this.files.files.includes(f)) this.dirty.delete(f);
  }

  /**
   * Retention: deletes files whose every unit points below `minPhysicalOffset` (never the last file) and moves
   * minOffset to the first unit whose record still exists. Returns the number of files deleted.
   */
  deleteExpired(minPhysicalOffset: number): number {
    let deleted = 0;
    while (this.files.files.length > 1) {
      const first = this.files.first()!;
      const lastUnit = this.unit(this.unitIndexOf(first.fileEndOffset) - 1);
      if (!lastUnit || lastUnit.commitLogOffset >= minPhysicalOffset) break;
      this.dirty.delete(first);
      this.writeView = null;
      this.files.deleteFirst();
      deleted++;
    }
    const firstFile = this.files.first();
    const from = firstFile
      ? Math.max(this.minOffset, this.unitIndexOf(firstFile.fileFromOffset))
      : this.maxOffset;
    this.minOffset = this.firstValidAtOrAfter(from, minPhysicalOffset);
    return deleted;
  }

  /** fdatasync the files written since the last flush. */
  async flush(): Promise<void> {
    this.writeView = null;
    if (this.dirty.size === 0) return;
    const files = [...this.dirty];
    this.dirty.clear();
    await Promise.all(files.map((f) => f.flush()));
  }

  close(): void {
    this.writeView = null;
    this.files.close();
  }

  /** Deletes the queue's files and directory. */
  destroy(): void {
    this.writeView = null;
    this.dirty.clear();
    this.files.destroy();
  }

  private unitIndexOf(byteOffset: number): number {
    return byteOffset / CQ_STORE_UNIT_SIZE;
  }

  /** Last written unit in [from, to) by binary search (written units form a prefix there), or -1. */
  private lastWrittenIn(from: number, to: number): number {
    if (!this.unit(from)) return -1;
    let lo = from;
    let hi = to;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.unit(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** First queueOffset in [from, maxOffset) whose unit exists and points at or past `minPhysicalOffset`. */
  private firstValidAtOrAfter(from: number, minPhysicalOffset: number): number {
    let lo = from;
    let hi = this.maxOffset;
    const ok = (q: number) => {
      const u = this.unit(q);
      return u !== null && u.commitLogOffset >= minPhysicalOffset;
    };
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
