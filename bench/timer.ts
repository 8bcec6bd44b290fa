/**
 * bench:timer — the durable timer store (broker/timer) on its own, in this process.
 *   1. lateness: --count timers (100 000) spread uniformly over --seconds (60), scheduled up front; the handler
 *      records fire time − deliverAtMs (it does no re-put, so this is the store's own lateness);
 *   2. schedule throughput (durable acks, group commit) and recovery: --recover timers (1 000 000) an hour out,
 *      close, reopen, time the open.
 * Prints one JSON line at the end; with the default sizes (or --docs) it rewrites "## Timer" in docs/benchmarks.md.
 * Quick run: bun run bench/timer.ts --seconds 5 --count 10000 --recover 100000
 */

import { heapStats } from "bun:jsc";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTimerStore, defaultTimerStoreOptions, type TimerStore } from "../broker/timer/index.ts";
import {
  fmtNum,
  makeTempDir,
  mdTable,
  percentile,
  removeDir,
  replaceSection,
  sortedCopy,
} from "./harness/index.ts";

const DEFAULTS = { seconds: 60, count: 100_000, recover: 1_000_000 };
const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: String(DEFAULTS.seconds) },
    count: { type: "string", default: String(DEFAULTS.count) },
    recover: { type: "string", default: String(DEFAULTS.recover) },
    precision: { type: "string", default: String(defaultTimerStoreOptions.precisionMs) },
    concurrency: { type: "string", default: "1024" },
    docs: { type: "boolean", default: false },
  },
});
const seconds = Number(args.seconds);
const count = Number(args.count);
const recoverCount = Number(args.recover);
const precisionMs = Number(args.precision);
const concurrency = Number(args.concurrency);
const isFullRun =
  seconds === DEFAULTS.seconds && count === DEFAULTS.count && recoverCount === DEFAULTS.recover;

/** Schedules `n` timers from `concurrency` concurrent callers; returns the elapsed ms. */
async function scheduleMany(store: TimerStore, n: number, deliverAt: (i: number) => number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      // A 32-hex-digit key like a message UNIQ_KEY, so the log and recovery carry realistic keys.
      const key = i.toString(16).padStart(32, "0");
      await store.schedule({
        deliverAtMs: deliverAt(i),
        commitLogOffset: i * 1024,
        size: 1024,
        queueId: 0,
        key,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return performance.now() - started;
}

async function measureLateness() {
  const dir = makeTempDir("timer");
  try {
    const store = await createTimerStore({ dir, precisionMs });
    const lateness = new Float64Array(count);
    let fired = 0;
    let early = 0;
    let allFired: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allFired = resolve;
    });
    store.onDue(async (entries) => {
      const now = Date.now();
      for (const e of entries) {
        const late = now - e.deliverAtMs;
        if (late < 0) early++;
        lateness[fired++] = late;
      }
      if (fired >= count) allFired();
    });
    // Uniform over the window, starting one second out so that scheduling mostly precedes firing.
    const t0 = Date.now() + 1000;
    const spanMs = seconds * 1000;
    const scheduleMs = await scheduleMany(store, count, () => t0 + Math.floor(Math.random() * spanMs));
    await done;
    await store.close();
    const sorted = sortedCopy(Array.from(lateness));
    return {
      scheduleRate: count / (scheduleMs / 1000),
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
      max: sorted[sorted.length - 1]!,
      early,
    };
  } finally {
    removeDir(dir);
  }
}

async function measureRecovery() {
  const dir = makeTempDir("timer-recovery");
  try {
    const store = await createTimerStore({ dir });
    const start = Date.now() + 3_600_000;
    const scheduleMs = await scheduleMany(store, recoverCount, (i) => start + (i % 3_600_000));
    const logBytes = store.stats().logBytes;
    await store.close();
    Bun.gc(true);
    const heapBefore = heapStats().heapSize;
    const opened = performance.now();
    const reopened = await createTimerStore({ dir });
    const recoveryMs = performance.now() - opened;
    const pending = reopened.stats().pending;
    Bun.gc(true);
    const heapGrowth = heapStats().heapSize - heapBefore;
    await reopened.close();
    if (pending !== recoverCount)
      throw new Error(`recovered ${pending} pending timers, expected ${recoverCount}`);
    return { scheduleRate: recoverCount / (scheduleMs / 1000), recoveryMs, pending, logBytes, heapGrowth };
  } finally {
    removeDir(dir);
  }
}

const lateness = await measureLateness();
const recovery = await measureRecovery();
const result = {
  timerCount: count,
  timerSeconds: seconds,
  timerPrecisionMs: precisionMs,
  timerLatenessP50Ms: lateness.p50,
  timerLatenessP99Ms: lateness.p99,
  timerLatenessP999Ms: lateness.p999,
  timerLatenessMaxMs: lateness.max,
  timerEarly: lateness.early,
  timerScheduleRatePerSec: Math.round(lateness.scheduleRate),
  timerScheduleRate1MPerSec: Math.round(recovery.scheduleRate),
  timerRecoveryPending: recovery.pending,
  timerRecoveryMs: Math.round(recovery.recoveryMs),
  timerRecoveryLogBytes: recovery.logBytes,
  timerRecoveryHeapBytesPerTimer: Math.round(recovery.heapGrowth / recovery.pending),
};

if (isFullRun || args.docs) {
  const path = join(import.meta.dir, "..", "docs", "benchmarks.md");
  const body = [
    `\`bun run bench:timer\` (bench/timer.ts): the timer store (broker/timer) alone in one Bun process, ` +
      `syncFlush (every schedule acknowledged after fdatasync, group commit), precision ${precisionMs} ms, ` +
      `${concurrency} concurrent schedulers, 32-character keys. Run ${new Date().toISOString().slice(0, 10)} on the ` +
      "project machine (2 shared cores, ext4 on virtio); rough, ±30 % between runs.",
    "",
    mdTable(
      ["measure", "value"],
      [
        [
          `lateness (fire time − deliverAtMs), ${fmtNum(count)} timers uniform over ${seconds} s: p50 / p99 / p99.9 / max`,
          `${lateness.p50} / ${lateness.p99} / ${lateness.p999} / ${lateness.max} ms`,
        ],
        ["fired before deliverAtMs", String(lateness.early)],
        [
          `schedule throughput, ${fmtNum(count)} timers (durable acks)`,
          `${fmtNum(lateness.scheduleRate)} /s`,
        ],
        [
          `schedule throughput, ${fmtNum(recoverCount)} timers (durable acks)`,
          `${fmtNum(recovery.scheduleRate)} /s`,
        ],
        [
          `recovery (open + replay) with ${fmtNum(recovery.pending)} pending`,
          `${fmtNum(recovery.recoveryMs)} ms (log ${fmtNum(recovery.logBytes / 2 ** 20)} MiB, heap +${fmtNum(recovery.heapGrowth / 2 ** 20)} MiB)`,
        ],
      ],
    ),
    "",
    `Target: p99 lateness < 100 ms — ${lateness.p99 < 100 ? "met" : "NOT met"}. Lateness is ms-resolution ` +
      "Date.now(); a slot fires at its end, so the precision bounds the rounding part of it; the handler here " +
      "does no work (the broker's re-put adds its own time). The tail (p99.9, max) varies from run to run: it " +
      "follows pauses on the shared 2-core box (GC, a slow fdatasync of a progress record, which the next batch " +
      "waits for).",
  ].join("\n");
  let doc = "";
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    doc = "# Benchmarks\n";
  }
  writeFileSync(path, replaceSection(doc, "## Timer", body));
}

console.log(JSON.stringify(result));
