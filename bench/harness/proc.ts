/**
 * CPU time and resident memory of a process tree, read from /proc (Linux only). A server is
 * measured as its root pid plus every descendant (RabbitMQ is a shell script, beam.smp and helpers).
 */
import { readdirSync, readFileSync } from "node:fs";

const AT_CLKTCK = 17n;

/** Clock ticks per second (CLK_TCK), read from the kernel's aux vector of this process. */
export function clockTicksPerSecond(): number {
  const auxv = readFileSync("/proc/self/auxv");
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  for (let at = 0; at + 16 <= auxv.byteLength; at += 16) {
    if (view.getBigUint64(at, true) === AT_CLKTCK) return Number(view.getBigUint64(at + 8, true));
  }
  return 100;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process (or thread) is gone
  }
}

/** Direct and indirect children of pid, found through /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const text = readOrUndefined(`/proc/${p}/task/${tid}/children`);
      if (!text) continue;
      for (const word of text.split(" ")) {
        const child = Number(word);
        if (word !== "" && Number.isInteger(child) && !out.includes(child)) {
          out.push(child);
          queue.push(child);
        }
      }
    }
  }
  return out;
}

export function processTree(roots: readonly number[]): number[] {
  const all = new Set<number>();
  for (const root of roots) {
    all.add(root);
    for (const d of descendants(root)) all.add(d);
  }
  return [...all];
}

/**
 * utime + stime + cutime + cstime of pid, in clock ticks. Counting reaped children's time keeps a
 * tree's total continuous when a helper process exits. Undefined once the process is gone.
 */
export function readCpuTicks(pid: number): number | undefined {
  const text = readOrUndefined(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // comm (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime..cstime are fields 14..17.
  return Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
}

/** True while pid runs; a zombie (exited, not yet reaped by its new parent) counts as ended. */
export function isRunning(pid: number): boolean {
  const text = readOrUndefined(`/proc/${pid}/stat`);
  if (!text) return false;
  return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3) !== "Z";
}

/** VmRSS of pid in bytes; undefined once the process is gone (or for a zombie). */
export function readRssBytes(pid: number): number | undefined {
  const text = readOrUndefined(`/proc/${pid}/status`);
  const m = text?.match(/^VmRSS:\s+(\d+) kB$/m);
  return m ? Number(m[1]) * 1024 : undefined;
}

export interface TreeUsage {
  pids: number[];
  cpuMs: number;
  rssBytes: number;
}

export function treeUsage(roots: readonly number[], ticksPerSecond: number): TreeUsage {
  const pids = processTree(roots);
  let ticks = 0;
  let rss = 0;
  for (const pid of pids) {
    ticks += readCpuTicks(pid) ?? 0;
    rss += readRssBytes(pid) ?? 0;
  }
  return { pids, cpuMs: (ticks * 1000) / ticksPerSecond, rssBytes: rss };
}
