/**
 * Physical limits of the machine, measured in the same run as the brokers: sequential disk writes
 * with dd (to the page cache, and with a final fdatasync), synchronous small writes (oflag=dsync:
 * one durable write at a time), and loopback TCP between two processes.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeDir } from "./temp-dir.ts";

export interface LimitsOptions {
  /** Folder on the disk the brokers write to. */
  dir: string;
  /** Bytes for each sequential dd run. */
  ddBytes: number;
  /** Count of 1 KiB O_DSYNC writes. */
  dsyncWrites: number;
  /** Bytes sent over loopback TCP. */
  tcpBytes: number;
  /** Each measurement runs this often and the best run counts (the first dd after idle is slow). */
  runs: number;
}

export const defaultLimitsOptions: Readonly<Omit<LimitsOptions, "dir">> = Object.freeze({
  ddBytes: 1024 * 1024 * 1024,
  dsyncWrites: 2000,
  tcpBytes: 4 * 1024 * 1024 * 1024,
  runs: 2,
});

export interface Limits {
  /** dd bs=1M, no sync: how fast the page cache takes sequential writes. */
  ddBufferedMiBps: number;
  /** dd bs=1M conv=fdatasync: sequential writes that are on disk at the end. */
  ddFdatasyncMiBps: number;
  /** dd bs=1k oflag=dsync: durable writes per second when each waits for the disk. */
  dsyncWritesPerSec: number;
  /** Loopback TCP, one connection, sender and receiver in two Bun processes. */
  tcpLoopbackMiBps: number;
}

const MiB = 1024 * 1024;

/** Parses dd's summary line: "<bytes> bytes (...) copied, <seconds> s, ...". */
export function parseDdSummary(stderr: string): { bytes: number; seconds: number } {
  const m = stderr.match(/^(\d+) bytes.*copied, ([\d.,]+) s/m);
  if (!m) throw new Error(`dd: no summary line in: ${stderr.trim().slice(-300)}`);
  return { bytes: Number(m[1]), seconds: Number(m[2].replace(",", ".")) };
}

function runDd(args: string[]): { bytes: number; seconds: number } {
  const r = Bun.spawnSync(["dd", ...args], {
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, LC_ALL: "C" },
  });
  const stderr = r.stderr.toString();
  if (r.exitCode !== 0) throw new Error(`dd ${args.join(" ")} failed: ${stderr.trim()}`);
  return parseDdSummary(stderr);
}

function bestOf(runs: number, measure: () => number): number {
  let best = 0;
  for (let i = 0; i < runs; i++) best = Math.max(best, measure());
  return best;
}

export function measureDisk(o: LimitsOptions): Omit<Limits, "tcpLoopbackMiBps"> {
  const file = join(o.dir, "dd.bin");
  const count = String(Math.max(1, Math.round(o.ddBytes / MiB)));
  const rate = (args: string[], unit: number) => {
    try {
      const r = runDd(["if=/dev/zero", `of=${file}`, ...args]);
      return r.bytes / unit / r.seconds;
    } finally {
      rmSync(file, { force: true });
    }
  };
  return {
    ddBufferedMiBps: bestOf(o.runs, () => rate(["bs=1M", `count=${count}`], MiB)),
    ddFdatasyncMiBps: bestOf(o.runs, () => rate(["bs=1M", `count=${count}`, "conv=fdatasync"], MiB)),
    dsyncWritesPerSec: bestOf(o.runs, () => rate(["bs=1k", `count=${o.dsyncWrites}`, "oflag=dsync"], 1024)),
  };
}

async function readLine(stream: ReadableStream<Uint8Array>, reader = stream.getReader()): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcp sink ended early: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.trim();
}

export async function measureTcpLoopback(bytes: number): Promise<number> {
  const sinkPath = new URL("./tcp-sink.ts", import.meta.url).pathname;
  const sink = Bun.spawn([process.execPath, sinkPath, String(bytes)], { stdout: "pipe", stderr: "inherit" });
  try {
    const portLine = await readLine(sink.stdout);
    const port = Number(portLine.replace(/^port /, ""));
    const chunk = new Uint8Array(MiB).fill(120);
    let sent = 0;
    let offset = 0;
    const pump = (s: { write(d: Uint8Array, o?: number, l?: number): number }) => {
      while (sent < bytes) {
        const want = Math.min(chunk.byteLength - offset, bytes - sent);
        const n = s.write(chunk, offset, want);
        sent += n;
        offset = (offset + n) % chunk.byteLength;
        if (n < want) return; // the kernel buffer is full: drain() calls back
      }
    };
    const t0 = performance.now();
    await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: pump,
        drain: pump,
        data() {},
      },
    });
    const done = await readLine(sink.stdout);
    if (done !== "done") throw new Error(`tcp sink said ${done}`);
    return bytes / MiB / ((performance.now() - t0) / 1000);
  } finally {
    if (sink.exitCode === null) sink.kill("SIGKILL");
  }
}

export async function measureLimits(o: LimitsOptions): Promise<Limits> {
  const disk = measureDisk(o);
  let tcp = 0;
  for (let i = 0; i < o.runs; i++) tcp = Math.max(tcp, await measureTcpLoopback(o.tcpBytes));
  return { ...disk, tcpLoopbackMiBps: tcp };
}

/** measureLimits in a temp dir of its own, removed afterwards; quick runs write less. */
export async function measureLimitsInTempDir(quick: boolean): Promise<Limits> {
  const dir = makeTempDir("limits");
  try {
    return await measureLimits({
      ...defaultLimitsOptions,
      dir,
      ...(quick ? { ddBytes: 256 * 1024 * 1024, tcpBytes: 1024 * 1024 * 1024 } : {}),
    });
  } finally {
    removeDir(dir);
  }
}
