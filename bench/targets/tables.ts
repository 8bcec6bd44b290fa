/** Markdown tables shared by the bunmq sections of docs/benchmarks.md (Remoting, Proxy, bunmq vs peers). */
import {
  fmtSpread,
  latencyTable,
  mdTable,
  type Spread,
  spread,
  startupTable,
  summarize,
  type TargetResult,
  type TargetSummary,
  type ThroughputFigures,
} from "../harness/index.ts";
import type { RunInfo } from "./cli.ts";

/** min/median/max of one field over repetitions; undefined when there are none. */
export function spreadOf<T>(records: readonly T[], pick: (r: T) => number): Spread | undefined {
  const values = records.map(pick).filter((v) => Number.isFinite(v));
  return values.length > 0 ? spread(values) : undefined;
}

export function fmt(
  records: readonly ThroughputFigures[],
  pick: (r: ThroughputFigures) => number,
  scale = 1,
): string {
  return fmtSpread(spreadOf(records, pick), scale);
}

export function runHeader(run: RunInfo, extra: string[] = []): string {
  const m = run.machine;
  return [
    "```",
    run.command,
    "```",
    "",
    `Run ${run.date}, bunmq ${run.revision}, on ${m.cpus} CPUs (${m.cpuModel}), ${m.memory} RAM, ${m.kernel}, ${m.os}, disk ${m.disk}, ${m.bun}. ` +
      `Load average (1 min) from other jobs on the shared machine: ${run.loadAverage.start.toFixed(2)} at the start, ` +
      `${run.loadAverage.end.toFixed(2)} at the end.`,
    ...extra,
  ].join("\n");
}

/** W1 or W2 rows: throughput, server and client CPU beside it. */
export function throughputRows(
  rows: readonly { name: string; figures: readonly ThroughputFigures[] }[],
  extraHeaders: string[] = [],
  extra: (name: string, figures: readonly ThroughputFigures[]) => string[] = () => [],
): string {
  return mdTable(
    [
      "target",
      "msg/s",
      "MiB/s",
      ...extraHeaders,
      "server CPU µs/msg",
      "server cores",
      "client CPU µs/msg",
      "client cores (procs)",
    ],
    rows.map((r) => {
      const f = r.figures;
      return [
        r.name,
        fmt(f, (x) => x.msgsPerSec),
        fmt(f, (x) => x.mibPerSec),
        ...extra(r.name, f),
        fmt(f, (x) => x.serverCpuUsPerMsg),
        fmt(f, (x) => x.serverCores),
        fmt(f, (x) => x.clientCpuUsPerMsg),
        f.length > 0 ? `${fmt(f, (x) => x.clientCores)} (${f[0]!.clientProcesses})` : "–",
      ];
    }),
  );
}

export function w1Rows(results: readonly TargetResult[]) {
  return results.map((r) => ({ name: r.name, figures: r.reps.map((x) => x.w1) }));
}

export function w2Rows(results: readonly TargetResult[]) {
  return results.map((r) => ({ name: r.name, figures: r.reps.map((x) => x.w2) }));
}

export function latencyRows(results: readonly TargetResult[]): string {
  return latencyTable(results.map(summarize));
}

export function startupRows(results: readonly TargetResult[]): string {
  return startupTable(results.map(summarize));
}

export function durabilityRows(
  results: readonly { name: string; system: string; ackSurvives: string; durability: string }[],
): string {
  return mdTable(
    ["target", "system", "an acked message survives", "how"],
    results.map((t) => [t.name, t.system, t.ackSurvives, t.durability]),
  );
}

export function clientRows(results: readonly { name: string; client: string }[]): string {
  return mdTable(
    ["target", "client"],
    results.map((t) => [t.name, t.client]),
  );
}

export function failures(results: readonly { name: string; errors: readonly string[] }[]): string[] {
  const lines = results.flatMap((t) => t.errors.map((e) => `- ${t.name}: ${e}`));
  return lines.length > 0 ? ["", "Failed repetitions:", "", ...lines] : [];
}

/** How the Remoting and Proxy sections end: durability, load generators, the profile findings, failed reps. */
export function closingLines(
  suite: readonly TargetResult[],
  all: readonly { name: string; client: string; errors: readonly string[] }[],
  profile: string,
): string[] {
  return [
    "### Durability and load generators",
    "",
    durabilityRows(suite),
    "",
    clientRows(all),
    "",
    profile,
    ...failures(all),
  ];
}

export function medianOf(s: Spread | undefined): number {
  return s?.median ?? Number.NaN;
}

export type { TargetSummary };
