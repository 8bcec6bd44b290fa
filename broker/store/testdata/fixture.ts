import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { MessageStoreOptions, StoreLogger } from "../options.ts";

/** A fresh temp directory; remove it with removeDir. */
export function tempDir(tag = "store"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bunmq-${tag}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A logger that keeps what it was told, for assertions. */
export function recordingLogger(): StoreLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

/** Small segments and files so tests roll them, no background timers (tests flush and checkpoint themselves). */
export function smallOptions(
  dir: string,
  extra: Partial<MessageStoreOptions> = {},
): Partial<MessageStoreOptions> {
  return {
    storePathRootDir: dir,
    commitLogSegmentSize: 8192,
    consumeQueueUnitsPerFile: 16,
    maxHashSlotNum: 64,
    maxIndexNum: 64,
    maxMessageSize: 2048,
    checkpointIntervalMs: 0,
    flushIntervalMs: 0,
    cleanResourceIntervalMs: 0,
    logger: recordingLogger(),
    ...extra,
  };
}

/** Deterministic body bytes for message `i`. */
export function bodyOf(i: number, length = 100 + (i % 7) * 37): Uint8Array {
  const b = new Uint8Array(length);
  for (let k = 0; k < length; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/**
 * The store directory as a crash would leave it right now: a copy taken while the store runs (abort marker and
 * last checkpoint included), minus the lock of this live process.
 */
export function crashCopy(dir: string): string {
  const copy = tempDir("crash");
  fs.cpSync(dir, copy, { recursive: true });
  fs.rmSync(path.join(copy, "lock"), { force: true });
  return copy;
}
