import { ptr } from "bun:ffi";
import * as fs from "node:fs";

/** The mappings of this process as /proc/self/smaps lists them: start address, permissions, path, Rss bytes. */
function smapsEntries(): { start: string; perms: string; path: string; rss: number }[] {
  const out: { start: string; perms: string; path: string; rss: number }[] = [];
  for (const line of fs.readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      out.push({ start: head[1]!, perms: head[2]!, path: head[3] ?? "", rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && out.length > 0) out[out.length - 1]!.rss = Number(rss[1]) * 1024;
  }
  return out;
}

/**
 * Bytes of `mapping` mapped into this process' page tables (its Rss in /proc/self/smaps): what
 * MADV_POPULATE_WRITE adds and MADV_DONTNEED takes away. Read-ahead may bring more of the file into the page
 * cache, but it maps nothing.
 */
export function mappedBytes(mapping: Uint8Array): number {
  const start = ptr(mapping).toString(16);
  const entry = smapsEntries().find((e) => e.start === start);
  if (!entry) throw new Error("mapping not in /proc/self/smaps");
  return entry.rss;
}

/** Rss bytes of this process' shared writable mappings of files under `dir`, by file path. */
export function sharedMappingRss(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of smapsEntries()) {
    if (e.perms === "rw-s" && e.path.startsWith(dir)) out.set(e.path, (out.get(e.path) ?? 0) + e.rss);
  }
  return out;
}
