/**
 * `bun run bench:store-ceiling`: how fast the work RocketMQ's storage format requires per 1 KiB message can go on
 * this machine, against dd, i.e. how close to issue 4's "ASYNC_FLUSH append >= 80 % of dd" any store written in
 * JavaScript could get here. Each variant (bench/ceiling/ceiling-writer.ts) uses the store's own encoder,
 * PagePopulator, ConsumeQueue and IndexFile code without the store around them. dd and the variants alternate,
 * each after 2 GiB were written and deleted (warmPages), five rounds; the best of each counts. Prints one line
 * per run, then one JSON object as its last line. Results: docs/storage.md "The ceiling".
 *
 * Options: --quick (one round, 128 MiB).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CEILING_VARIANTS, type CeilingRun, type CeilingVariant } from "./ceiling/ceiling-writer.ts";
import { ddMiBps, warmPages } from "./harness/dd.ts";

const MiB = 1024 * 1024;
const quick = process.argv.includes("--quick");
const rounds = quick ? 1 : 5;
const ddCount = quick ? 128 : 1024;
/** As many 1 KiB-body records as fit in a 1 GiB segment (the writer stops at the segment's end). */
const messages = quick ? 110_000 : 1 << 20;

const root = fs.mkdtempSync(path.join(os.tmpdir(), "bunmq-bench-ceiling-"));
process.on("exit", () => fs.rmSync(root, { recursive: true, force: true }));
process.on("SIGINT", () => process.exit(130));
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

function runChild(variant: CeilingVariant): CeilingRun {
  const dir = path.join(root, variant);
  try {
    const child = path.join(import.meta.dir, "ceiling", "run-child.ts");
    const r = Bun.spawnSync([process.execPath, child, variant, dir, String(messages)], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${variant} run failed: ${r.stderr.toString().trim()}`);
    const lines = r.stdout.toString().trim().split("\n");
    return JSON.parse(lines[lines.length - 1]!) as CeilingRun;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench:store-ceiling in ${root} (bun ${Bun.version}, ${os.cpus().length} CPUs)`);
let ddBest = 0;
const best = new Map<CeilingVariant, { mibps: number; cpu: number }>();
for (let round = 1; round <= rounds; round++) {
  warmPages(root, 2 * ddCount);
  const dd = ddMiBps(root, ["bs=1M", `count=${ddCount}`]);
  ddBest = Math.max(ddBest, dd);
  console.log(`round ${round}: dd bs=1M count=${ddCount}              ${fmt(dd)} MiB/s`);
  for (const variant of CEILING_VARIANTS) {
    warmPages(root, 2 * ddCount);
    const run = runChild(variant);
    const mibps = run.bytes / MiB / run.seconds;
    console.log(
      `round ${round}: ${variant.padEnd(16)} ${fmt(mibps).padStart(6)} MiB/s  ${run.cpuMicrosPerMessage.toFixed(3)} us CPU/msg`,
    );
    const was = best.get(variant);
    if (!was || mibps > was.mibps) best.set(variant, { mibps, cpu: run.cpuMicrosPerMessage });
  }
}
const results: Record<string, number> = { ddBufferedMBps: ddBest };
const keys: Record<CeilingVariant, string> = {
  "one-thread": "ceilingOneThread",
  "dispatch-thread": "ceilingDispatchThread",
  pwrite: "ceilingPwrite",
  "commitlog-only": "ceilingCommitLogOnly",
};
console.log(`best dd: ${fmt(ddBest)} MiB/s; best of each variant, as a share of it:`);
for (const variant of CEILING_VARIANTS) {
  const b = best.get(variant)!;
  results[`${keys[variant]}MBps`] = b.mibps;
  results[`${keys[variant]}RatioToDd`] = b.mibps / ddBest;
  results[`${keys[variant]}CpuMicros`] = b.cpu;
  console.log(
    `  ${variant.padEnd(16)} ${fmt(b.mibps).padStart(6)} MiB/s  ${((b.mibps / ddBest) * 100).toFixed(0)} %`,
  );
}
console.log(JSON.stringify(results));
