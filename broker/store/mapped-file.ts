import * as fs from "node:fs";
import type { Preallocate, WillNeed } from "./native-io.ts";

/**
 * One fixed-size segment file named by the 20-digit offset of its first byte (RocketMQ's MappedFile). Appends go
 * through pwrite and reads through pread; `view()` maps the file with Bun.mmap for small random access
 * (ConsumeQueue units). Bun has no munmap: a dropped mapping is released by GC.
 */
export class MappedFile {
  readonly path: string;
  /** Offset of this file's first byte in its log. */
  readonly fileFromOffset: number;
  readonly fileSize: number;
  private fd: number;
  private mapped: { bytes: Uint8Array; view: DataView } | null = null;
  private readMapping: Uint8Array | null = null;

  private constructor(path: string, fileFromOffset: number, fileSize: number, fd: number) {
    this.path = path;
    this.fileFromOffset = fileFromOffset;
    this.fileSize = fileSize;
    this.fd = fd;
  }

  /** Creates the file (it must not exist yet) with its full size; `openFlags` are added to open(2)'s. */
  static create(
    path: string,
    fileFromOffset: number,
    fileSize: number,
    preallocate: Preallocate | null,
    openFlags = 0,
  ): MappedFile {
    const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(path, O_RDWR | O_CREAT | O_EXCL | openFlags, 0o644);
    try {
      extend(fd, 0, fileSize, preallocate);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(path, { force: true });
      throw err;
    }
    return new MappedFile(path, fileFromOffset, fileSize, fd);
  }

  /** Opens an existing file; a short file (crash while creating it) is extended to `fileSize`. */
  static open(
    path: string,
    fileFromOffset: number,
    fileSize: number,
    preallocate: Preallocate | null,
    openFlags = 0,
  ): MappedFile {
    const fd = fs.openSync(path, fs.constants.O_RDWR | openFlags);
    const size = fs.fstatSync(fd).size;
    if (size < fileSize) extend(fd, size, fileSize - size, preallocate);
    return new MappedFile(path, fileFromOffset, fileSize, fd);
  }

  get fileEndOffset(): number {
    return this.fileFromOffset + this.fileSize;
  }

  /** pwrite `length` bytes of `src` at file position `position`. */
  write(src: Uint8Array, srcOffset: number, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      done += fs.writeSync(this.fd, src, srcOffset + done, length - done, position + done);
    }
  }

  /**
   * pwrite off the event loop (Bun's thread pool): the caller keeps `src` untouched until `done` runs. Short writes
   * are continued.
   */
  writeAsync(
    src: Uint8Array,
    srcOffset: number,
    length: number,
    position: number,
    done: (err: Error | null) => void,
  ): void {
    fs.write(this.fd, src, srcOffset, length, position, (err, written) => {
      if (err) done(err);
      else if (written < length)
        this.writeAsync(src, srcOffset + written, length - written, position + written, done);
      else done(null);
    });
  }

  /** pread into `target`; returns the bytes read (less only at end of file). */
  read(position: number, length: number, target: Uint8Array, targetOffset = 0): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, target, targetOffset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** The whole file mapped read/write (mapped on first use). */
  view(): { bytes: Uint8Array; view: DataView } {
    if (this.mapped === null) {
      const bytes = Bun.mmap(this.path);
      this.mapped = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
    return this.mapped;
  }

  /** Forgets the mapping view() made (it is unmapped when collected); the next view() maps the file again. */
  dropView(): void {
    this.mapped = null;
  }

  /**
   * The whole file mapped privately, for zero-copy reads of what pwrite wrote (Linux shows file updates in pages a
   * private mapping never wrote to). A caller writing into a view it was given changes only its own copy of that
   * page, never the file.
   */
  readView(): Uint8Array {
    if (this.readMapping === null) this.readMapping = Bun.mmap(this.path, { shared: false });
    return this.readMapping;
  }

  /** Hints the kernel to read [position, position + length) ahead. */
  adviseWillNeed(willNeed: WillNeed, position: number, length: number): void {
    if (this.fd >= 0) willNeed(this.fd, position, length);
  }

  /** fdatasync off the event loop (also covers writes made through the mapping). */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  flushSync(): void {
    fs.fdatasyncSync(this.fd);
  }

  /**
   * Zeroes everything from `position` to the end by cutting the file there and growing it back, which drops the
   * old blocks (a mapping stays valid and reads the zeros).
   */
  zeroFrom(position: number, preallocate: Preallocate | null): void {
    if (position >= this.fileSize) return;
    fs.ftruncateSync(this.fd, position);
    extend(this.fd, position, this.fileSize - position, preallocate);
  }

  lastModified(): number {
    return fs.fstatSync(this.fd).mtimeMs;
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    this.mapped = null;
    this.readMapping = null;
  }

  /** Closes and deletes the file. */
  destroy(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}

function extend(fd: number, offset: number, length: number, preallocate: Preallocate | null): void {
  if (length <= 0) return;
  if (preallocate) {
    try {
      preallocate(fd, offset, length);
      return;
    } catch {
      // Filesystems without fallocate support (tmpfs on old kernels, some network filesystems): stay sparse.
    }
  }
  fs.ftruncateSync(fd, offset + length);
}
