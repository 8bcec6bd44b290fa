import * as fs from "node:fs";
import * as path from "node:path";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { MappedFile } from "./mapped-file.ts";
import type { Preallocate } from "./native-io.ts";

const FILE_NAME = /^\d{20}$/;

/** A segment file's name: its start offset, zero-padded to 20 digits, so name order is log order. */
export function segmentFileName(offset: number): string {
  return String(offset).padStart(20, "0");
}

/**
 * The ordered, contiguous segment files of one log (RocketMQ's MappedFileQueue): the CommitLog, or one
 * ConsumeQueue. Every file has the same size; the first may start at any multiple of it (older ones deleted).
 */
export class MappedFileQueue {
  readonly dir: string;
  readonly fileSize: number;
  readonly preallocate: Preallocate | null;
  /** Extra open(2) flags for the files (the CommitLog of a SYNC_FLUSH store opens them O_DSYNC). */
  readonly openFlags: number;
  files: MappedFile[] = [];

  constructor(dir: string, fileSize: number, preallocate: Preallocate | null, openFlags = 0) {
    this.dir = dir;
    this.fileSize = fileSize;
    this.preallocate = preallocate;
    this.openFlags = openFlags;
  }

  /**
   * Opens the existing files. Throws MqError(SYSTEM_ERROR) on a gap between files, a name that is not a multiple
   * of the file size, or a file other than the last with the wrong size (a changed segment size option).
   */
  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => FILE_NAME.test(n))
      .sort();
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const from = Number(name);
      const file = path.join(this.dir, name);
      const size = fs.statSync(file).size;
      const isLast = i === names.length - 1;
      if (from % this.fileSize !== 0) {
        throw this.fault(`${file}: start offset is not a multiple of the segment size ${this.fileSize}`);
      }
      if (size > this.fileSize || (!isLast && size !== this.fileSize)) {
        throw this.fault(
          `${file}: ${size} bytes where ${this.fileSize} were expected (segment size option changed?)`,
        );
      }
      const prev = this.files[this.files.length - 1];
      if (prev && prev.fileEndOffset !== from) {
        throw this.fault(`${file}: gap after ${prev.path}; a segment file is missing`);
      }
      this.files.push(MappedFile.open(file, from, this.fileSize, this.preallocate, this.openFlags));
    }
  }

  first(): MappedFile | undefined {
    return this.files[0];
  }

  last(): MappedFile | undefined {
    return this.files[this.files.length - 1];
  }

  /** Offset of the first byte still on disk, or -1 when there are no files. */
  minOffset(): number {
    return this.files.length === 0 ? -1 : this.files[0]!.fileFromOffset;
  }

  /** The file holding `offset`, if any. */
  findByOffset(offset: number): MappedFile | undefined {
    const first = this.files[0];
    if (!first || offset < first.fileFromOffset) return undefined;
    return this.files[Math.floor((offset - first.fileFromOffset) / this.fileSize)];
  }

  /** Creates the file starting at `fromOffset`, which must follow the last file (or start an empty queue). */
  create(fromOffset: number): MappedFile {
    const last = this.last();
    if (fromOffset % this.fileSize !== 0 || (last && last.fileEndOffset !== fromOffset)) {
      throw this.fault(`cannot create a segment at ${fromOffset} in ${this.dir}`);
    }
    if (this.files.length === 0) fs.mkdirSync(this.dir, { recursive: true });
    const file = MappedFile.create(
      path.join(this.dir, segmentFileName(fromOffset)),
      fromOffset,
      this.fileSize,
      this.preallocate,
      this.openFlags,
    );
    this.files.push(file);
    return file;
  }

  /** The file holding `offset`, creating it and any missing files before it. */
  getOrCreate(offset: number): MappedFile {
    const start = offset - (offset % this.fileSize);
    if (this.files.length === 0) return this.create(start);
    let last = this.last()!;
    while (last.fileEndOffset <= offset) last = this.create(last.fileEndOffset);
    return this.findByOffset(offset)!;
  }

  /** Drops everything at and after `offset`: later files are deleted, the file holding it is zeroed from there. */
  truncateFrom(offset: number): void {
    while (this.files.length > 0 && this.last()!.fileFromOffset >= offset) {
      const file = this.files.pop()!;
      file.destroy();
    }
    const holder = this.findByOffset(offset);
    if (holder) holder.zeroFrom(offset - holder.fileFromOffset, this.preallocate);
  }

  /** Deletes the first file. */
  deleteFirst(): void {
    const file = this.files.shift();
    file?.destroy();
  }

  /** Deletes every file and the directory. */
  destroy(): void {
    for (const f of this.files) f.destroy();
    this.files = [];
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private fault(message: string): MqError {
    return new MqError(ResponseCode.SYSTEM_ERROR, message);
  }
}
