/**
 * `bun run bench [--reps N] [--quick] [--messages N] [--latency-seconds N] [--processes N] [--only a,b] [--no-docs]
 * [--no-setup]`
 *
 * Issue 8 in one run: W1-W4 for the bunmq targets (remoting ASYNC_FLUSH and SYNC_FLUSH, gRPC proxy in Local and
 * Cluster mode, Connect over HTTP/1.1) and the peers, W4 per bunmq role and for `npm start`, W5 crash recovery of
 * a 1 GiB CommitLog, the physical limits, ratios to the best peer at equal durability and the targets checked.
 * Writes "## Summary" (top), "## bunmq vs peers" and docs/benchmarks-bunmq.svg (full runs, or --docs); ends with
 * one JSON line.
 */
import { writeFileSync } from "node:fs";
import { jsonLine, measureLimitsInTempDir, peersChart, runSuite, summarize } from "./harness/index.ts";
import { installPeers, peerTargets, peerVersions } from "./peers/index.ts";
import {
  checkGoals,
  createProxyTarget,
  createRemotingTarget,
  docsDir,
  measureRecovery,
  measureRole,
  parseBenchArgs,
  pickTargets,
  type RecoveryFigures,
  ROLES,
  type RoleFootprint,
  startRun,
  summarySection,
  type VersusReport,
  versusSection,
  writeDocSections,
} from "./targets/index.ts";

const args = parseBenchArgs("bench", process.argv.slice(2));
const o = args.suite;
const run = startRun(args.command);
const isBunmq = (name: string) => name.startsWith("bunmq");

if (args.setup) installPeers();

const targets = pickTargets(
  [
    createRemotingTarget({ flushDiskType: "ASYNC_FLUSH" }),
    createRemotingTarget({ flushDiskType: "SYNC_FLUSH" }),
    createProxyTarget({ mode: "local", protocol: "grpc" }),
    createProxyTarget({ mode: "cluster", protocol: "grpc" }),
    createProxyTarget({ mode: "local", protocol: "connect", publishInFlight: 64 }),
    ...peerTargets(),
  ],
  args.only,
);

const versions = await peerVersions();

o.log("measuring physical limits");
const limits = await measureLimitsInTempDir(args.quick);

const results = await runSuite(targets, o);

// W4 per role and W5, `reps` times each, interleaved like the suite.
const roles = ROLES.map((role) => ({
  role,
  how: "",
  figures: [] as RoleFootprint[],
  errors: [] as string[],
}));
const recovery: RecoveryFigures[] = [];
const recoveryErrors: string[] = [];
const measureExtras = !args.only || args.only.some(isBunmq);
for (let rep = 1; rep <= o.reps && measureExtras; rep++) {
  o.log(`W4 per role and W5, repetition ${rep} of ${o.reps}`);
  for (const r of roles) {
    try {
      const f = await measureRole(r.role, { settleMs: o.settleMs });
      r.how = f.how;
      r.figures.push(f);
      o.log(
        `  ${r.role}: start-up ${f.startupMs.toFixed(0)} ms, idle RSS ${(f.idleRssBytes / 2 ** 20).toFixed(1)} MiB`,
      );
    } catch (e) {
      r.errors.push(`rep ${rep}: ${e instanceof Error ? e.message : String(e)}`);
      o.log(`  ${r.role}: FAILED ${r.errors.at(-1)}`);
    }
  }
  try {
    const f = await measureRecovery(args.quick ? { commitLogBytes: 128 * 1024 * 1024 } : {});
    recovery.push(f);
    o.log(
      `  W5: ${(f.commitLogBytes / 2 ** 20).toFixed(0)} MiB, recovery ${f.recoveryMs.toFixed(0)} ms, lost ${f.lostMessages}`,
    );
  } catch (e) {
    recoveryErrors.push(`rep ${rep}: ${e instanceof Error ? e.message : String(e)}`);
    o.log(`  W5: FAILED ${recoveryErrors.at(-1)}`);
  }
}

const { checks, ratios } = checkGoals(results, isBunmq, roles, recovery);
const { log: _log, ...options } = o;
const chartFile = "benchmarks-bunmq.svg";
const report: VersusReport = {
  run: run.finish(),
  options,
  versions,
  limits,
  results,
  isBunmq,
  roles,
  recovery,
  recoveryErrors,
  checks,
  ratios,
  chartFile,
};
const versus = versusSection(report);
const summary = summarySection(report);
console.log(`## Summary\n\n${summary}\n\n## bunmq vs peers\n\n${versus}\n`);
if (args.writeDocs) {
  writeFileSync(`${docsDir}${chartFile}`, peersChart(results, isBunmq));
  writeDocSections({ "## Summary": summary, "## bunmq vs peers": versus }, ["## Summary"]);
}

const failed = results.some((r) => r.reps.length === 0);
console.log(
  jsonLine({
    bench: "all",
    ok: !failed,
    date: report.run.date,
    command: report.run.command,
    machine: report.run.machine,
    loadAverage: report.run.loadAverage,
    versions,
    options,
    limits,
    targets: Object.fromEntries(results.map((r) => [r.name, summarize(r)])),
    results,
    roles,
    recovery,
    ratios,
    checks,
  }),
);
process.exit(failed ? 1 : 0);
