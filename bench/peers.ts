/**
 * `bun run bench:peers [--reps N] [--quick] [--only a,b] [--messages N] [--processes N] [--no-docs]`
 *
 * Installs the peer brokers if missing (bench/peers/setup.sh), measures the machine's physical
 * limits, runs W1-W4 against every peer, prints the figures, writes the "## Peers" and
 * "## Physical limits" sections of docs/benchmarks.md and docs/benchmarks-peers.svg (full runs
 * only, unless --docs), and ends with one JSON line.
 */
import { writeFileSync } from "node:fs";
import {
  jsonLine,
  limitsSection,
  measureLimitsInTempDir,
  peersChart,
  peersSection,
  type ReportInput,
  runSuite,
  summaryJson,
} from "./harness/index.ts";
import { installPeers, peerTargets, peerVersions } from "./peers/index.ts";
import { docsDir, parseBenchArgs, pickTargets, startRun, writeDocSections } from "./targets/index.ts";

const args = parseBenchArgs("bench:peers", process.argv.slice(2));
const options = args.suite;
const run = startRun(args.command);

if (args.setup) installPeers();
const targets = pickTargets(peerTargets(), args.only);
const versions = await peerVersions();

console.error("measuring physical limits");
const limits = await measureLimitsInTempDir(args.quick);
console.error(
  `  dd buffered ${limits.ddBufferedMiBps.toFixed(0)} MiB/s, dd fdatasync ${limits.ddFdatasyncMiBps.toFixed(0)} MiB/s, ` +
    `dsync ${limits.dsyncWritesPerSec.toFixed(0)} writes/s, loopback TCP ${limits.tcpLoopbackMiBps.toFixed(0)} MiB/s`,
);

const results = await runSuite(targets, options);

const { log: _log, ...reportedOptions } = options;
const { date, command, machine, loadAverage } = run.finish();
const input: ReportInput = {
  date,
  command,
  machine,
  versions,
  options: reportedOptions,
  limits,
  results,
  chartFile: "benchmarks-peers.svg",
  // Other jobs share the machine: their load explains noisy tails.
  loadAverage,
};
const peers = peersSection(input);
const limitsText = limitsSection(input);
console.log(`## Peers\n\n${peers}\n\n## Physical limits\n\n${limitsText}\n`);

if (args.writeDocs) {
  writeFileSync(`${docsDir}benchmarks-peers.svg`, peersChart(results));
  writeDocSections({ "## Peers": peers, "## Physical limits": limitsText });
}

const failed = results.some((r) => r.reps.length === 0);
console.log(jsonLine({ bench: "peers", ok: !failed, ...summaryJson(input) }));
process.exit(failed ? 1 : 0);
