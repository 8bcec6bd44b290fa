/**
 * `bun run bench:peers [--reps N] [--quick] [--only a,b] [--messages N] [--processes N] [--no-docs]`
 *
 * Installs the peer brokers if missing (bench/peers/setup.sh), measures the machine's physical
 * limits, runs W1-W4 against every peer, prints the figures, writes the "## Peers" and
 * "## Physical limits" sections of docs/benchmarks.md and docs/benchmarks-peers.svg (full runs
 * only, unless --docs), and ends with one JSON line.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { parseArgs } from "node:util";
import {
  defaultLimitsOptions,
  defaultSuiteOptions,
  jsonLine,
  limitsSection,
  machineInfo,
  makeTempDir,
  measureLimits,
  packageVersion,
  peersChart,
  peersSection,
  type ReportInput,
  removeDir,
  replaceSection,
  runSuite,
  type SuiteOptions,
  summaryJson,
} from "./harness/index.ts";
import { peersSetupScript, peerTargets } from "./peers/index.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    reps: { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    messages: { type: "string" },
    "latency-seconds": { type: "string" },
    processes: { type: "string" },
    docs: { type: "boolean" },
    "no-docs": { type: "boolean", default: false },
    "no-setup": { type: "boolean", default: false },
  },
});

function intOption(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name} must be an integer of at least ${min}: ${text}`);
  return v;
}

const quick = values.quick;
const options: SuiteOptions = {
  ...defaultSuiteOptions,
  reps: intOption("reps", values.reps, quick ? 1 : defaultSuiteOptions.reps, 1),
  messages: intOption("messages", values.messages, quick ? 20_000 : defaultSuiteOptions.messages, 1),
  latencySeconds: intOption(
    "latency-seconds",
    values["latency-seconds"],
    quick ? 2 : defaultSuiteOptions.latencySeconds,
    1,
  ),
  settleMs: quick ? 1000 : defaultSuiteOptions.settleMs,
  processes: intOption("processes", values.processes, 0, 0),
  log: (line) => console.error(line),
};
const writeDocs = values["no-docs"] ? false : (values.docs ?? !quick);

if (!values["no-setup"]) {
  const setup = Bun.spawnSync(["bash", peersSetupScript], { stdout: "inherit", stderr: "inherit" });
  if (setup.exitCode !== 0) throw new Error(`${peersSetupScript} failed (exit ${setup.exitCode})`);
}

let targets = peerTargets();
if (values.only) {
  const wanted = values.only.split(",");
  const unknown = wanted.filter((w) => !targets.some((t) => t.name === w));
  if (unknown.length > 0) {
    throw new Error(
      `--only: unknown target(s) ${unknown.join(", ")}; known: ${targets.map((t) => t.name).join(", ")}`,
    );
  }
  targets = targets.filter((t) => wanted.includes(t.name));
}

function debVersion(pkg: string): string {
  // dpkg-query's own format syntax, not a template literal.
  const format = "$" + "{Version}";
  const r = Bun.spawnSync(["dpkg-query", "-W", "-f", format, pkg], {
    stdout: "pipe",
    stderr: "ignore",
  });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "?";
}

const machine = machineInfo(tmpdir());
const versions: Record<string, string> = {
  bun: Bun.version,
  "nats-server (deb)": debVersion("nats-server"),
  "rabbitmq-server (deb)": debVersion("rabbitmq-server"),
  "erlang-base (deb)": debVersion("erlang-base"),
  "redis-server (deb)": debVersion("redis-server"),
  "nats (npm)": await packageVersion("nats"),
  "amqplib (npm)": await packageVersion("amqplib"),
};

const loadAtStart = loadavg()[0];
console.error("measuring physical limits");
const limitsDir = makeTempDir("limits");
const limits = await (async () => {
  try {
    return await measureLimits({
      ...defaultLimitsOptions,
      dir: limitsDir,
      ...(quick ? { ddBytes: 256 * 1024 * 1024, tcpBytes: 1024 * 1024 * 1024 } : {}),
    });
  } finally {
    removeDir(limitsDir);
  }
})();
console.error(
  `  dd buffered ${limits.ddBufferedMiBps.toFixed(0)} MiB/s, dd fdatasync ${limits.ddFdatasyncMiBps.toFixed(0)} MiB/s, ` +
    `dsync ${limits.dsyncWritesPerSec.toFixed(0)} writes/s, loopback TCP ${limits.tcpLoopbackMiBps.toFixed(0)} MiB/s`,
);

const results = await runSuite(targets, options);

const { log: _log, ...reportedOptions } = options;
const input: ReportInput = {
  date: new Date().toISOString().slice(0, 10),
  command: ["bun run bench:peers", ...process.argv.slice(2)].join(" "),
  machine,
  versions,
  options: reportedOptions,
  limits,
  results,
  chartFile: "benchmarks-peers.svg",
  // Other jobs share the machine: their load explains noisy tails.
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
};
const peers = peersSection(input);
const limitsText = limitsSection(input);
console.log(`## Peers\n\n${peers}\n\n## Physical limits\n\n${limitsText}\n`);

if (writeDocs) {
  const docPath = new URL("../docs/benchmarks.md", import.meta.url).pathname;
  writeFileSync(new URL("../docs/benchmarks-peers.svg", import.meta.url).pathname, peersChart(results));
  // Re-read right before writing: other sections of the file belong to other benchmarks.
  const current = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  writeFileSync(
    docPath,
    replaceSection(replaceSection(current, "## Peers", peers), "## Physical limits", limitsText),
  );
  console.error(`wrote ${docPath} (## Peers, ## Physical limits) and docs/benchmarks-peers.svg`);
}

const failed = results.some((r) => r.reps.length === 0);
console.log(jsonLine({ bench: "peers", ok: !failed, ...summaryJson(input) }));
process.exit(failed ? 1 : 0);
