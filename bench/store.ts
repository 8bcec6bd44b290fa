/**
 * `bun run bench:store`: the storage engine (broker/store) alone in one Bun process, against what the disk does
 * with dd. Prints one line per measure, then one JSON object as its last line. MB in names and keys means MiB
 * (2^20 bytes). Method and choices: docs/storage.md; results: docs/benchmarks.md "Storage engine".
 *
 * Options: --quick (smaller volumes, for development), --keep (leave the temp folder).
 */
import { dlopen, FFIType } from "bun:ffi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createMessageStore, type MessageStore } from "../broker/store/index.ts";
import { ddMiBps, warmPages as warmDdPages } from "./harness/dd.ts";
import { makeNoiseBody } from "./harness/payload.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// Child mode (used by the recovery measurements): open the store, report how long that took, close it.
const openIndex = process.argv.indexOf("--open");
if (openIndex >= 0) {
  const start = performance.now();
  const store = await createMessageStore({
    storePathRootDir: process.argv[openIndex + 1]!,
    cleanResourceIntervalMs: 0,
  });
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, maxPhysicalOffset: store.maxPhysicalOffset }));
  await store.close();
  process.exit(0);
}
const quick = process.argv.includes("--quick");
const keep = process.argv.includes("--keep");
const BODY = 1024;
const QUEUES = 8;
const TOPIC = "BenchStore";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "bunmq-bench-store-"));
const cleanup = () => {
  if (!keep) fs.rmSync(root, { recursive: true, force: true });
};
process.on("exit", cleanup); // also after a failure: the temp folder holds gigabytes
process.on("SIGINT", () => process.exit(130));

const results: Record<string, number> = {};
const say = (line: string) => console.log(line);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

const body = makeNoiseBody(BODY);

// ---- dd ---------------------------------------------------------------------------------------------------------

/** MiB/s of one dd run in the bench folder (dd's own timing). */
const dd = (args: string[]): number => ddMiBps(root, args);
const warmPages = (mib: number): void => warmDdPages(root, mib);

function bestOf(runs: number, f: () => number): number {
  let best = 0;
  for (let i = 0; i < runs; i++) best = Math.max(best, f());
  return best;
}

const ddCount = quick ? 256 : 1024;
say(
  `bench:store in ${root} (bun ${Bun.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(2)})`,
);
results.ddBufferedMBps = bestOf(2, () => dd(["bs=1M", `count=${ddCount}`]));
say(`dd bs=1M count=${ddCount} (page cache)                 ${fmt(results.ddBufferedMBps)} MiB/s`);
results.ddBufferedThenFdatasyncMBps = bestOf(2, () => dd(["bs=1M", `count=${ddCount}`, "conv=fdatasync"]));
say(
  `dd bs=1M count=${ddCount} conv=fdatasync (one sync)    ${fmt(results.ddBufferedThenFdatasyncMBps)} MiB/s`,
);
results.ddFdatasyncMBps = bestOf(3, () => dd(["bs=128k", `count=${quick ? 512 : 2048}`, "oflag=dsync"]));
say(`dd bs=128k oflag=dsync (fdatasync per 128 KiB batch)  ${fmt(results.ddFdatasyncMBps)} MiB/s`);

// ---- appends ----------------------------------------------------------------------------------------------------

interface AppendRun {
  messages: number;
  seconds: number;
  /** CommitLog bytes (records with their headers) per second. */
  recordMBps: number;
  bodyMBps: number;
  /** This process' CPU time (user + system, all threads) per message: steadier than throughput under load. */
  cpuMicrosPerMessage: number;
  /**
   * The event-loop thread's share of it (Linux; NaN elsewhere): encoding and dispatch run there, one core at most,
   * so 1 / this is the most messages per second the writer can take whatever the other threads do.
   */
  mainThreadCpuMicrosPerMessage: number;
  /** Minor page faults of the process per message (new page-cache and heap pages; mapped pages after a sync). */
  pageFaultsPerMessage: number;
  store: MessageStore;
  dir: string;
}

/**
 * How the load is offered: `writers` concurrent producers each awaiting one putMessage before the next, or
 * `callers` concurrent producers each awaiting one putMessages of `batch` messages (one promise per batch).
 */
type Load = { writers: number } | { callers: number; batch: number };

function loadLabel(load: Load): string {
  return "writers" in load ? `${load.writers} writer(s)` : `${load.callers} x putMessages(${load.batch})`;
}

/** Appends under `load` until `bytes` of bodies or `seconds`. */
async function appendRun(
  flushDiskType: "ASYNC_FLUSH" | "SYNC_FLUSH",
  load: Load,
  limit: { bytes?: number; seconds?: number },
): Promise<AppendRun> {
  const dir = fs.mkdtempSync(path.join(root, `${flushDiskType.toLowerCase()}-`));
  const store = await createMessageStore({
    storePathRootDir: dir,
    flushDiskType,
    cleanResourceIntervalMs: 0,
  });
  const maxMessages = limit.bytes ? Math.floor(limit.bytes / BODY) : Number.MAX_SAFE_INTEGER;
  const mainBefore = mainThreadCpuMicros();
  const faultsBefore = process.resourceUsage().minorPageFault;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = limit.seconds ? start + limit.seconds * 1000 : Number.POSITIVE_INFINITY;
  let sent = 0;
  if ("writers" in load) {
    await Promise.all(
      Array.from({ length: load.writers }, async () => {
        while (sent < maxMessages && performance.now() < deadline) {
          const seq = sent++;
          await store.putMessage({ topic: TOPIC, queueId: seq % QUEUES, body });
        }
      }),
    );
  } else {
    const { callers, batch } = load;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (sent < maxMessages && performance.now() < deadline) {
          const first = sent;
          sent += batch;
          const messages = [];
          for (let i = 0; i < batch; i++)
            messages.push({ topic: TOPIC, queueId: (first + i) % QUEUES, body });
          await store.putMessages(messages);
        }
      }),
    );
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const mainCpu = mainThreadCpuMicros() - mainBefore;
  const faults = process.resourceUsage().minorPageFault - faultsBefore;
  return {
    messages: sent,
    seconds,
    recordMBps: store.maxPhysicalOffset / MiB / seconds,
    bodyMBps: (sent * BODY) / MiB / seconds,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / sent,
    mainThreadCpuMicrosPerMessage: mainCpu / sent,
    pageFaultsPerMessage: faults / sent,
    store,
    dir,
  };
}

/** User + system CPU time of this process' main (event-loop) thread in µs, from /proc (10 ms ticks); NaN elsewhere. */
function mainThreadCpuMicros(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticksPerSecond = 100; // USER_HZ, the unit of utime/stime on Linux
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

async function dispose(run: AppendRun): Promise<void> {
  await run.store.close();
  fs.rmSync(run.dir, { recursive: true, force: true });
}

function report(label: string, r: AppendRun): void {
  say(
    `${label.padEnd(40)} ${fmt(r.messages / r.seconds).padStart(9)} msg/s  ${fmt(r.recordMBps).padStart(5)} MiB/s records` +
      `  ${r.cpuMicrosPerMessage.toFixed(2)} us CPU/msg (${r.mainThreadCpuMicrosPerMessage.toFixed(2)} main thread)` +
      `  ${r.pageFaultsPerMessage.toFixed(3)} faults/msg  (${fmt(r.messages)} messages in ${r.seconds.toFixed(2)} s)`,
  );
}

/** Result keys: asyncAppend128MBps, asyncAppendBatch8x128MBps, ... */
function keyOf(prefix: string, load: Load): string {
  return "writers" in load ? `${prefix}${load.writers}` : `${prefix}Batch${load.callers}x${load.batch}`;
}

const asyncVolume = quick ? 128 * MiB : GiB;
/** The 1 GiB run whose CommitLog the read and recovery measurements use. */
const BIG: Load = { callers: 8, batch: 128 };
let big: AppendRun | null = null;
const asyncLoads: Load[] = [
  { writers: 1 },
  { writers: 16 },
  { writers: 128 },
  { callers: 1, batch: 128 },
  { callers: 8, batch: 32 },
  BIG,
];
/**
 * The target run (BIG) runs three times, each right after a dd run of the same size, and the best of each side
 * counts. This VM hands memory that stayed free for a few seconds back to its host (virtio-balloon free page
 * reporting), and writing into such pages costs 4-8 times more (dd: 0.6-1.3 against 4.2-5.5 GB/s, see
 * docs/storage.md). So each of those dd runs and store runs starts right after 2 GiB were written and deleted
 * (warmPages): both sides write into pages this VM still has.
 */
const ASYNC_TARGET_RUNS = quick ? 1 : 3;
for (const load of asyncLoads) {
  let r: AppendRun | null = null;
  for (let run = 0; run < (load === BIG ? ASYNC_TARGET_RUNS : 1); run++) {
    if (load === BIG) {
      warmPages(2 * ddCount);
      const buffered = dd(["bs=1M", `count=${ddCount}`]);
      say(`  dd bs=1M count=${ddCount} just before                ${fmt(buffered)} MiB/s`);
      results.ddBufferedMBps = Math.max(results.ddBufferedMBps!, buffered);
    }
    if (load === BIG) warmPages(2 * ddCount);
    const one = await appendRun("ASYNC_FLUSH", load, { bytes: load === BIG ? asyncVolume : asyncVolume / 4 });
    report(`ASYNC_FLUSH ${loadLabel(load)}`, one);
    if (r === null || one.recordMBps > r.recordMBps) {
      if (r) await dispose(r);
      r = one;
    } else {
      await dispose(one);
    }
  }
  r = r!;
  results[`${keyOf("asyncAppend", load)}MBps`] = r.recordMBps;
  results[`${keyOf("asyncAppend", load)}MsgPerSec`] = r.messages / r.seconds;
  results[`${keyOf("asyncAppend", load)}CpuMicros`] = r.cpuMicrosPerMessage;
  results[`${keyOf("asyncAppend", load)}MainThreadCpuMicros`] = r.mainThreadCpuMicrosPerMessage;
  results[`${keyOf("asyncAppend", load)}PageFaultsPerMsg`] = r.pageFaultsPerMessage;
  if (load === BIG) big = r;
  else await dispose(r);
}
// The target figure: batches (what the engine appends when a caller hands it many messages at once; a single
// put also pays a promise and its caller's continuation per message). The single-put figure is reported beside it.
results.asyncAppendMBps = results[`${keyOf("asyncAppend", BIG)}MBps`]!;
results.asyncAppendSingleMBps = results.asyncAppend128MBps!;
// The event loop's ceiling for the target run: records per second if it did nothing but this work (the kernel's
// copy runs on the thread pool, i.e. the other core). Where the ratio to dd can go on this machine at best.
{
  const main = results[`${keyOf("asyncAppend", BIG)}MainThreadCpuMicros`]!;
  const recordBytes = big!.store.maxPhysicalOffset / big!.messages;
  results.asyncAppendMainThreadBoundMBps = Number.isFinite(main)
    ? 1e6 / main / (MiB / recordBytes)
    : Number.NaN;
  say(
    `  its event-loop thread: ${main.toFixed(2)} us/msg, i.e. at most ${fmt(results.asyncAppendMainThreadBoundMBps)} MiB/s ` +
      `(${((results.asyncAppendMainThreadBoundMBps / results.ddBufferedMBps) * 100).toFixed(0)} % of dd) with a core of its own`,
  );
}

const syncLoads: Load[] = [{ writers: 1 }, { writers: 16 }, { writers: 128 }, { writers: 1024 }, BIG];
/**
 * The 128-writer run is the target's: it runs three times, each right after a dd oflag=dsync run, and the best of
 * each counts, so that both sides get the same treatment on a disk whose speed moves from minute to minute.
 */
const SYNC_TARGET_RUNS = quick ? 1 : 3;
let ddAroundBest = 0;
for (const load of syncLoads) {
  const target = "writers" in load && load.writers === 128;
  let best: AppendRun | null = null;
  for (let run = 0; run < (target ? SYNC_TARGET_RUNS : 1); run++) {
    if (target) {
      const dsync = dd(["bs=128k", `count=${quick ? 512 : 2048}`, "oflag=dsync"]);
      say(`  dd bs=128k oflag=dsync just before                 ${fmt(dsync)} MiB/s`);
      ddAroundBest = Math.max(ddAroundBest, dsync);
    }
    const r = await appendRun("SYNC_FLUSH", load, { seconds: quick ? 1 : 3 });
    report(`SYNC_FLUSH ${loadLabel(load)}`, r);
    say(`${"".padEnd(40)} ${fmt(r.store.flushCount / r.seconds)} durable writes/s`);
    if (best === null || r.recordMBps > best.recordMBps) {
      if (best) await dispose(best);
      best = r;
    } else {
      await dispose(r);
    }
  }
  const r = best!;
  results[`${keyOf("syncAppend", load)}MBps`] = r.recordMBps;
  results[`${keyOf("syncAppend", load)}MsgPerSec`] = r.messages / r.seconds;
  results[`${keyOf("syncAppend", load)}FlushesPerSec`] = r.store.flushCount / r.seconds;
  results[`${keyOf("syncAppend", load)}CpuMicros`] = r.cpuMicrosPerMessage;
  await dispose(r);
}
results.ddFdatasyncAroundSync128MBps = ddAroundBest;

// ---- reads ------------------------------------------------------------------------------------------------------

/** Calls posix_fadvise(DONTNEED) on the store's CommitLog files: a cold read of this data, without root. */
function evictCommitLog(dir: string): boolean {
  try {
    const libc = dlopen("libc.so.6", {
      posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 },
    });
    const cl = path.join(dir, "commitlog");
    for (const name of fs.readdirSync(cl)) {
      const fd = fs.openSync(path.join(cl, name), "r");
      libc.symbols.posix_fadvise(fd, 0, 0, 4);
      fs.closeSync(fd);
    }
    libc.close();
    return true;
  } catch {
    return false;
  }
}

function readAll(store: MessageStore): { messages: number; bytes: number; seconds: number } {
  const start = performance.now();
  let messages = 0;
  let bytes = 0;
  for (let q = 0; q < QUEUES; q++) {
    let offset = 0;
    for (;;) {
      const r = store.getMessages({ topic: TOPIC, queueId: q, queueOffset: offset, maxCount: 32 });
      if (r.status !== "FOUND") break;
      messages += r.messages.length;
      for (const m of r.messages) bytes += m.storeSize;
      offset = r.nextBeginOffset;
    }
  }
  return { messages, bytes, seconds: (performance.now() - start) / 1000 };
}

const bigRun = big!;
const warmRead = readAll(bigRun.store);
results.readMBps = warmRead.bytes / MiB / warmRead.seconds;
results.readMsgPerSec = warmRead.messages / warmRead.seconds;
say(
  `getMessages (32/pull, ${QUEUES} queues), page cache ${fmt(results.readMsgPerSec).padStart(9)} msg/s  ` +
    `${fmt(results.readMBps).padStart(5)} MiB/s  (${fmt(warmRead.messages)} messages)`,
);
await bigRun.store.close();
const cold = evictCommitLog(bigRun.dir);
if (cold) {
  const again = await createMessageStore({ storePathRootDir: bigRun.dir, cleanResourceIntervalMs: 0 });
  const coldRead = readAll(again);
  results.readColdMBps = coldRead.bytes / MiB / coldRead.seconds;
  say(
    `getMessages, CommitLog evicted (fadvise)   ${fmt(coldRead.messages / coldRead.seconds).padStart(9)} msg/s  ${fmt(results.readColdMBps).padStart(5)} MiB/s`,
  );
  await again.close();
}

// ---- recovery ---------------------------------------------------------------------------------------------------

const commitLogBytes = bigRun.store.maxPhysicalOffset;
results.recoveryCommitLogMiB = commitLogBytes / MiB;

/**
 * Times opening the store in a fresh Bun process, as a restart after a crash is (this process' heap is full of
 * the benchmark's garbage).
 */
async function timedOpen(label: string): Promise<number> {
  const child = Bun.spawn([process.execPath, import.meta.path, "--open", bigRun.dir], { stdout: "pipe" });
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`${label}: the open process failed: ${out}`);
  const { seconds, maxPhysicalOffset } = JSON.parse(out.trim().split("\n").pop()!) as {
    seconds: number;
    maxPhysicalOffset: number;
  };
  if (maxPhysicalOffset !== commitLogBytes) {
    throw new Error(`${label}: recovered ${maxPhysicalOffset} bytes, expected ${commitLogBytes}`);
  }
  say(`${label.padEnd(58)} ${seconds.toFixed(3)} s`);
  return seconds;
}

/** What a crash leaves: the abort marker; optionally no checkpoint (everything is verified and re-dispatched). */
function simulateCrash(withCheckpoint: boolean): void {
  fs.writeFileSync(path.join(bigRun.dir, "abort"), "");
  if (!withCheckpoint) fs.rmSync(path.join(bigRun.dir, "checkpoint"));
}

say(`recovery of a ${fmt(commitLogBytes / MiB)} MiB CommitLog (${fmt(bigRun.messages)} records):`);
results.recoveryCleanSeconds = await timedOpen("  after a clean shutdown (from the checkpoint)");
simulateCrash(true);
results.recoveryCrashCheckpointSeconds = await timedOpen("  after a crash, checkpoint at the end");
simulateCrash(false);
results.recovery1GiBSeconds = await timedOpen(
  "  after a crash, no checkpoint: CRC-verify + re-dispatch all, page cache",
);
if (cold) {
  simulateCrash(false);
  evictCommitLog(bigRun.dir);
  results.recovery1GiBColdSeconds = await timedOpen("  same, CommitLog evicted from the page cache first");
}
fs.rmSync(bigRun.dir, { recursive: true, force: true });

// ---- summary ----------------------------------------------------------------------------------------------------

results.asyncVsDdBufferedRatio = results.asyncAppendMBps / results.ddBufferedMBps;
results.asyncSingleVsDdBufferedRatio = results.asyncAppendSingleMBps / results.ddBufferedMBps;
results.sync128VsDdFdatasyncRatio =
  results.syncAppend128MBps! / Math.max(results.ddFdatasyncMBps, ddAroundBest);
say(
  `ASYNC_FLUSH batches / dd buffered: ${(results.asyncVsDdBufferedRatio * 100).toFixed(0)} % (target >= 80 %; ` +
    `single puts, 128 writers: ${(results.asyncSingleVsDdBufferedRatio * 100).toFixed(0)} %); ` +
    `SYNC_FLUSH 128 writers / dd per-batch fdatasync: ${(results.sync128VsDdFdatasyncRatio * 100).toFixed(0)} % ` +
    `(target >= 50 %); recovery ${results.recovery1GiBSeconds.toFixed(2)} s (target < 3 s)`,
);
cleanup();
const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
console.log(JSON.stringify({ bench: "store", quick, loadAverage: os.loadavg()[0], ...rounded }));
