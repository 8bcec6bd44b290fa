import { dlopen, FFIType, ptr } from "bun:ffi";

/** Reserves `length` bytes at `offset` of an open file (size grows to cover them). */
export type Preallocate = (fd: number, offset: number, length: number) => void;

/** Asks the kernel to start reading `length` bytes at `offset` into the page cache (returns at once). */
export type WillNeed = (fd: number, offset: number, length: number) => void;

/**
 * Maps `length` bytes at `offset` of a shared file mapping writable in one call (madvise MADV_POPULATE_WRITE),
 * instead of a read fault and then a write fault per page on first touch. False when the kernel refused (for a
 * file mapping: no disk space for a hole, an I/O error); the pages are then not known to be writable.
 */
export type PopulateWrite = (mapping: Uint8Array, offset: number, length: number) => boolean;

/** PopulateWrite by address: for a thread that holds another thread's mapping only as its address. */
export type PopulateWriteAt = (address: number, length: number) => boolean;

/**
 * Unmaps the whole pages within `length` bytes at `offset` of a shared file mapping from this process (madvise
 * MADV_DONTNEED) without touching the file: their page-cache pages, dirty or not, stay as they are and a later
 * access maps them again. What a writer that is done with them does so that they stop counting in its RSS.
 */
export type DropPages = (mapping: Uint8Array, offset: number, length: number) => void;

export interface NativeIo {
  /** fallocate(2); null where unavailable (callers fall back to ftruncate, a sparse file). */
  preallocate: Preallocate | null;
  /** posix_fadvise(POSIX_FADV_WILLNEED); null where unavailable. */
  willNeed: WillNeed | null;
  /** madvise(MADV_POPULATE_WRITE) (Linux 5.14+); null where unavailable. */
  populateWrite: PopulateWrite | null;
  /** The same call on `length` bytes at a page-aligned `address`; null where unavailable. */
  populateWriteAt: PopulateWriteAt | null;
  /** madvise(MADV_DONTNEED); null where unavailable. */
  dropPages: DropPages | null;
}

const POSIX_FADV_WILLNEED = 3;
const MADV_DONTNEED = 4;
const MADV_POPULATE_WRITE = 23;
export const PAGE = 4096;

/**
 * The two libc calls Node's fs lacks, through bun:ffi. Preallocated extents read as zeros, like a sparse file, but
 * appends into them skip block allocation; WILLNEED lets recovery read ahead while it parses (docs/storage.md).
 */
export function openNativeIo(): NativeIo {
  const none: NativeIo = {
    preallocate: null,
    willNeed: null,
    populateWrite: null,
    populateWriteAt: null,
    dropPages: null,
  };
  if (process.platform !== "linux") return none;
  try {
    const libc = dlopen("libc.so.6", {
      fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
      posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
      madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    });
    const { fallocate, posix_fadvise, madvise } = libc.symbols;
    const populateWriteAt: PopulateWriteAt = (address, length) =>
      length <= 0 || madvise(address, length, MADV_POPULATE_WRITE) === 0;
    /** [offset, offset + length) of `mapping`, widened to whole pages (mappings start on a page). */
    const pageRange = (mapping: Uint8Array, offset: number, length: number) => {
      const from = Math.max(0, Math.floor(offset / PAGE) * PAGE);
      const to = Math.min(mapping.byteLength - (mapping.byteOffset % PAGE), offset + length);
      return { address: ptr(mapping) + from, length: to - from };
    };
    return {
      preallocate: (fd, offset, length) => {
        if (fallocate(fd, 0, offset, length) !== 0) throw new Error(`fallocate(${offset}, ${length}) failed`);
      },
      willNeed: (fd, offset, length) => {
        posix_fadvise(fd, offset, length, POSIX_FADV_WILLNEED); // only a hint: its result does not matter
      },
      populateWrite: (mapping, offset, length) => {
        const r = pageRange(mapping, offset, length);
        return populateWriteAt(r.address, r.length);
      },
      populateWriteAt,
      dropPages: (mapping, offset, length) => {
        // Only pages wholly inside the range (a page the writer still writes into must stay); a range that runs to
        // the mapping's end takes its last page too, which the mapping has all of.
        const from = Math.ceil(offset / PAGE) * PAGE;
        const end = offset + length;
        const to =
          end >= mapping.byteLength
            ? Math.ceil(mapping.byteLength / PAGE) * PAGE
            : Math.floor(end / PAGE) * PAGE;
        if (to > from) madvise(ptr(mapping) + from, to - from, MADV_DONTNEED); // only gives memory back
      },
    };
  } catch {
    return none;
  }
}
