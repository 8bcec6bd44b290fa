import { dlopen, FFIType } from "bun:ffi";

/** Reserves `length` bytes at `offset` of an open file (size grows to cover them). */
export type Preallocate = (fd: number, offset: number, length: number) => void;

/** Asks the kernel to start reading `length` bytes at `offset` into the page cache (returns at once). */
export type WillNeed = (fd: number, offset: number, length: number) => void;

export interface NativeIo {
  /** fallocate(2); null where unavailable (callers fall back to ftruncate, a sparse file). */
  preallocate: Preallocate | null;
  /** posix_fadvise(POSIX_FADV_WILLNEED); null where unavailable. */
  willNeed: WillNeed | null;
}

const POSIX_FADV_WILLNEED = 3;

/**
 * The two libc calls Node's fs lacks, through bun:ffi. Preallocated extents read as zeros, like a sparse file, but
 * appends into them skip block allocation; WILLNEED lets recovery read ahead while it parses (docs/storage.md).
 */
export function openNativeIo(): NativeIo {
  if (process.platform !== "linux") return { preallocate: null, willNeed: null };
  try {
    const libc = dlopen("libc.so.6", {
      fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
      posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
    });
    const { fallocate, posix_fadvise } = libc.symbols;
    return {
      preallocate: (fd, offset, length) => {
        if (fallocate(fd, 0, offset, length) !== 0) throw new Error(`fallocate(${offset}, ${length}) failed`);
      },
      willNeed: (fd, offset, length) => {
        posix_fadvise(fd, offset, length, POSIX_FADV_WILLNEED); // only a hint: its result does not matter
      },
    };
  } catch {
    return { preallocate: null, willNeed: null };
  }
}
