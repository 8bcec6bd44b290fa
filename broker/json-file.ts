import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";

/**
 * Writes `text` to `path` so that a crash leaves either the old file or the new one, never a torn mix:
 * temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself is durable only once the directory entry is flushed.
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function writeJsonFile(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1));
}

/**
 * writeFileAtomic with every file operation off the event loop: an fsync can take tens of milliseconds on a busy
 * disk, and a broker's event loop must keep answering meanwhile. It uses its own temp file (`.tmp-async`) so a
 * concurrent writeFileAtomic of the same path cannot interleave with it; callers run one at a time per path.
 */
export async function writeFileAtomicAsync(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-async`;
  const file = await open(tmp, "w");
  try {
    await file.writeFile(text, "utf8");
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

export function writeJsonFileAsync(path: string, value: unknown): Promise<void> {
  return writeFileAtomicAsync(path, JSON.stringify(value, null, 1));
}

/**
 * A JSON file rewritten only after markDirty(): persist() writes synchronously (at close), persistAsync() with
 * every file operation off the event loop (a timer's write). Changes marked while an async write runs go in the
 * next one; a failed write leaves the file dirty, so the next one retries. One write at a time per file.
 */
export interface DirtyJsonFile {
  markDirty(): void;
  persist(): void;
  persistAsync(): Promise<void>;
}

/** A DirtyJsonFile at `path` whose content is `snapshot()` at the time of each write. */
export function createDirtyJsonFile(path: string, snapshot: () => unknown): DirtyJsonFile {
  let dirty = false;
  return {
    markDirty() {
      dirty = true;
    },
    persist() {
      if (!dirty) return;
      writeJsonFile(path, snapshot());
      dirty = false;
    },
    async persistAsync() {
      if (!dirty) return;
      const value = snapshot();
      dirty = false;
      try {
        await writeJsonFileAsync(path, value);
      } catch (err) {
        dirty = true;
        throw err;
      }
    },
  };
}

/**
 * Reads a JSON file written by writeJsonFile. A missing file is `undefined` (first start); a file that is not
 * valid JSON stops start-up with an error naming it, rather than silently starting with empty state.
 */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new MqError(ResponseCode.SYSTEM_ERROR, `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
