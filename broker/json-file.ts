import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
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
