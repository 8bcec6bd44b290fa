import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import { getTransactionValue, MessageConst, MessageSysFlag } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { IndexFile, indexFileSize, indexKeyHash, indexKeyHashWith } from "./index-file.ts";
import type { DropPages, PopulateWrite } from "./native-io.ts";

/** The active IndexFile and its entry count, as recorded in the checkpoint. */
export interface IndexState {
  fileName: string;
  indexCount: number;
}

export interface MessageIndexOptions {
  dir: string;
  hashSlotNum: number;
  indexNum: number;
  clock: () => number;
  /** Maps new index pages writable ahead of use (native-io.ts); null: they fault in on first touch. */
  populateWrite?: PopulateWrite | null;
  /**
   * Unmaps entries once flushed, and all of a file once it is full (native-io.ts): without it the entries of an
   * index file (400 MB at the default 20 M) would stay in the process' RSS until it closes.
   */
  dropPages?: DropPages | null;
}

const FILE_NAME = /^\d{17}$/;

/**
 * Lookup of CommitLog offsets by `topic#key` for each KEYS entry and the UNIQ_KEY (RocketMQ's IndexService).
 * Index files are named by creation time (yyyyMMddHHmmssSSS, local time), so name order is creation order.
 */
export class MessageIndex {
  private readonly o: MessageIndexOptions;
  private files: IndexFile[] = [];
  private readonly dirty = new Set<IndexFile>();
  /** The file last added to `dirty` (saves a Set lookup per entry until the next flush). */
  private lastDirty: IndexFile | null = null;

  constructor(options: MessageIndexOptions) {
    this.o = options;
  }

  load(): void {
    fs.mkdirSync(this.o.dir, { recursive: true });
    const names = fs
      .readdirSync(this.o.dir)
      .filter((n) => FILE_NAME.test(n))
      .sort();
    for (let i = 0; i < names.length; i++) {
      const filePath = path.join(this.o.dir, names[i]!);
      const expected = indexFileSize(this.o.hashSlotNum, this.o.indexNum);
      if (i === names.length - 1 && fs.statSync(filePath).size < expected) {
        // Killed between creating and sizing the newest file: it holds no entries yet.
        fs.rmSync(filePath);
        continue;
      }
      const file = IndexFile.open(
        filePath,
        names[i]!,
        this.o.hashSlotNum,
        this.o.indexNum,
        this.o.populateWrite ?? null,
      );
      if (!file) {
        throw new MqError(
          ResponseCode.SYSTEM_ERROR,
          `index file ${names[i]} does not match maxHashSlotNum/maxIndexNum; remove the index directory to rebuild it`,
        );
      }
      this.files.push(file);
    }
  }

  /** The active file and its entry count, for the checkpoint. */
  state(): IndexState {
    const last = this.files[this.files.length - 1];
    return last ? { fileName: last.name, indexCount: last.indexCount } : { fileName: "", indexCount: 0 };
  }

  /**
   * Indexes one record's UNIQ_KEY and KEYS under its topic's indexKeyHashPrefix; `uniqKeyHash` is the key's
   * indexKeyHash when the caller already has it (-1: compute it). Recovery re-dispatches only records after the
   * checkpoint, which the rolled-back index does not hold yet, so nothing is indexed twice.
   */
  buildIndex(
    topicHashPrefix: number,
    commitLogOffset: number,
    storeTimestamp: number,
    sysFlag: number,
    uniqKey: string | undefined,
    keys: string | undefined,
    uniqKeyHash = -1,
  ): void {
    if (getTransactionValue(sysFlag) === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    if (uniqKeyHash >= 0) this.putKey(uniqKeyHash, commitLogOffset, storeTimestamp);
    else if (uniqKey)
      this.putKey(indexKeyHashWith(topicHashPrefix, uniqKey), commitLogOffset, storeTimestamp);
    if (keys) {
      for (const key of keys.split(MessageConst.KEY_SEPARATOR)) {
        if (key.length > 0)
          this.putKey(indexKeyHashWith(topicHashPrefix, key), commitLogOffset, storeTimestamp);
      }
    }
  }

  /** CommitLog offsets indexed for `topic#key` within [beginMs, endMs], newest first, without duplicates. */
  query(topic: string, key: string, maxNum: number, beginMs: number, endMs: number): number[] {
    const found: number[] = [];
    const keyHash = indexKeyHash(topic, key);
    for (let i = this.files.length - 1; i >= 0 && found.length < maxNum; i--) {
      const f = this.files[i]!;
      if (f.indexCount > 1 && f.isTimeMatched(beginMs - 999, endMs)) {
        f.selectPhyOffsets(found, keyHash, maxNum, beginMs, endMs);
      }
    }
    return [...new Set(found)];
  }

  /**
   * Recovery against the checkpoint: files created after it are deleted and the active one is rolled back to its
   * checkpointed entry count when it moved on (or, after a crash, when a slot points past it). Without a
   * checkpoint everything is deleted and rebuilt.
   */
  recover(checkpoint: IndexState | null, abnormal: boolean): void {
    const keepName = checkpoint?.fileName ?? "";
    while (this.files.length > 0 && this.files[this.files.length - 1]!.name > keepName) {
      this.files.pop()!.destroy();
    }
    const last = this.files[this.files.length - 1];
    if (!last || !checkpoint || last.name !== keepName) return;
    if (
      last.indexCount !== checkpoint.indexCount ||
      (abnormal && last.hasSlotAtOrPast(checkpoint.indexCount))
    ) {
      last.rollbackTo(checkpoint.indexCount);
    }
  }

  /** Retention: deletes files (never the active one) whose entries all point below `minPhysicalOffset`. */
  deleteExpired(minPhysicalOffset: number): number {
    let deleted = 0;
    while (this.files.length > 1 && this.files[0]!.endPhyOffset < minPhysicalOffset) {
      const f = this.files.shift()!;
      this.dirty.delete(f);
      if (this.lastDirty === f) this.lastDirty = null;
      f.destroy();
      deleted++;
    }
    return deleted;
  }

  async flush(): Promise<void> {
    this.lastDirty = null;
    if (this.dirty.size === 0) return;
    const files = [...this.dirty];
    this.dirty.clear();
    const counts = files.map((f) => f.indexCount); // the entries this flush covers
    await Promise.all(files.map((f) => f.flush()));
    const drop = this.o.dropPages;
    if (!drop) return;
    files.forEach((f, i) => {
      // A file deleted by retention meanwhile is gone from `files`: its mapping is not touched again.
      if (this.files.includes(f)) f.dropFlushed(drop, counts[i]!, f.isFull() || f !== this.files.at(-1));
    });
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private putKey(keyHash: number, commitLogOffset: number, storeTimestamp: number): void {
    let file = this.files[this.files.length - 1];
    if (!file?.putKey(keyHash, commitLogOffset, storeTimestamp)) {
      file = this.createFile();
      file.putKey(keyHash, commitLogOffset, storeTimestamp);
    }
    if (file !== this.lastDirty) {
      this.dirty.add(file);
      this.lastDirty = file;
    }
  }

  private createFile(): IndexFile {
    const lastName = this.files[this.files.length - 1]?.name ?? "";
    let t = this.o.clock();
    let name = timeName(t);
    if (name <= lastName) {
      t = parseTimeName(lastName) + 1;
      name = timeName(t);
    }
    const file = IndexFile.create(
      path.join(this.o.dir, name),
      name,
      this.o.hashSlotNum,
      this.o.indexNum,
      this.o.populateWrite ?? null,
    );
    this.files.push(file);
    this.dirty.add(file);
    return file;
  }
}

/** yyyyMMddHHmmssSSS in local time (UtilAll.timeMillisToHumanString). */
function timeName(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    p(d.getFullYear(), 4) +
    p(d.getMonth() + 1) +
    p(d.getDate()) +
    p(d.getHours()) +
    p(d.getMinutes()) +
    p(d.getSeconds()) +
    p(d.getMilliseconds(), 3)
  );
}

function parseTimeName(name: string): number {
  const n = (from: number, to: number) => Number(name.slice(from, to));
  return new Date(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 17)).getTime();
}
