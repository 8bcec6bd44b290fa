import { dlopen, FFIType } from "bun:ffi";

/** Reserves `length` bytes at `offset` of an open file (size grows to cover them). */
export type Preallocate = (fd: number, offset: number, length: number) => void;

/**
 * fallocate(2) through libc when this platform has it, else null (callers fall back to ftruncate, which leaves a
 * sparse file). Preallocated extents read as zeros, like a fresh sparse file, but appends into them skip block
 * allocation (measured in docs/storage.md).
 */
export function openPreallocate(): Preallocate | null {
  if (process.platform !== "linux") return null;
  try {
    const libc = dlopen("libc.so.6", {
      fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
    });
    const fallocate = libc.symbols.fallocate;
    return (fd, offset, length) => {
      if (fallocate(fd, 0, offset, length) !== 0) throw new Error(`fallocate(${offset}, ${length}) failed`);
    };
  } catch {
    return null;
  }
}
