/**
 * Turns suite results into what people and scripts read: min/median/max summaries, the markdown
 * sections of docs/benchmarks.md, the SVG chart of W1-W3, ratios against the best peer, and the
 * final JSON line.
 */
import type { Limits } from "./limits.ts";
import type { MachineInfo } from "./machine.ts";
import { fmtNum, mdTable } from "./markdown.ts";
import { type Spread, spread } from "./stats.ts";
import type {
  LatencyFigures,
  StartupFigures,
  SuiteOptions,
  TargetResult,
  ThroughputFigures,
} from "./suite.ts";
import { type BarPanel, barChartSvg } from "./svg-chart.ts";
import type { AckSurvives } from "./target.ts";

export type Spreads<T> = { [K in keyof T]: Spread };

export interface TargetSummary {
  name: string;
  system: string;
  durability: string;
  ackSurvives: AckSurvives;
  client: string;
  reps: number;
  errors: string[];
  w1?: Spreads<ThroughputFigures>;
  w2?: Spreads<ThroughputFigures>;
  w3?: Spreads<LatencyFigures>;
  w4?: Spreads<StartupFigures>;
}

/** min/median/max of every numeric field over the records (NaN values are left out). */
export function spreadFields<T extends object>(records: readonly T[]): Spreads<T> | undefined {
  if (records.length === 0) return undefined;
  const out: Record<string, Spread> = {};
  for (const key of Object.keys(records[0])) {
    const values = records.map((r) => (r as Record<string, number>)[key]).filter((v) => Number.isFinite(v));
    out[key] = values.length > 0 ? spread(values) : { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  }
  return out as Spreads<T>;
}

export function summarize(r: TargetResult): TargetSummary {
  return {
    name: r.name,
    system: r.system,
    durability: r.durability,
    ackSurvives: r.ackSurvives,
    client: r.client,
    reps: r.reps.length,
    errors: r.errors,
    w1: spreadFields(r.reps.map((x) => x.w1)),
    w2: spreadFields(r.reps.map((x) => x.w2)),
    w3: spreadFields(r.reps.map((x) => x.w3)),
    w4: spreadFields(r.reps.map((x) => x.w4)),
  };
}

/** "median (min–max)", or just the value when all repetitions agree or there was one. */
export function fmtSpread(s: Spread | undefined, scale = 1): string {
  if (!s || !Number.isFinite(s.median)) return "–";
  const [a, m, b] = [s.min * scale, s.median * scale, s.max * scale].map(fmtNum);
  return a === b ? m : `${m} (${a}–${b})`;
}

function pct(value: number, limit: number): string {
  return Number.isFinite(value) && limit > 0 ? `${((100 * value) / limit).toFixed(1)} %` : "–";
}

const MiB = 1024 * 1024;

function throughputTable(rows: TargetSummary[], pick: "w1" | "w2", limit: number, limitName: string): string {
  return mdTable(
    [
      "target",
      "msg/s",
      "MiB/s",
      `% of ${limitName}`,
      "server CPU µs/msg",
      "server cores",
      "client CPU µs/msg",
      "client cores (procs)",
    ],
    rows.map((t) => {
      const w = t[pick];
      return [
        t.name,
        fmtSpread(w?.msgsPerSec),
        fmtSpread(w?.mibPerSec),
        pct(w?.mibPerSec.median ?? Number.NaN, limit),
        fmtSpread(w?.serverCpuUsPerMsg),
        fmtSpread(w?.serverCores),
        fmtSpread(w?.clientCpuUsPerMsg),
        w ? `${fmtSpread(w.clientCores)} (${w.clientProcesses.median})` : "–",
      ];
    }),
  );
}

/** W3 rows; with syncWriteMs (the machine's one O_DSYNC write), p50 also as a multiple of it. */
export function latencyTable(rows: readonly TargetSummary[], syncWriteMs?: number): string {
  const withSync = syncWriteMs !== undefined;
  return mdTable(
    [
      "target",
      "p50 ms",
      "p99 ms",
      "p999 ms",
      "max ms",
      ...(withSync ? ["p50 / one sync write"] : []),
      "received",
      "server CPU µs/msg",
      "server cores",
      "client cores",
      "send lag p99 ms",
    ],
    rows.map((t) => {
      const w = t.w3;
      const perSyncWrite =
        w && syncWriteMs !== undefined && syncWriteMs > 0
          ? `${(w.p50Ms.median / syncWriteMs).toFixed(1)}×`
          : "–";
      return [
        t.name,
        fmtSpread(w?.p50Ms),
        fmtSpread(w?.p99Ms),
        fmtSpread(w?.p999Ms),
        fmtSpread(w?.maxMs),
        ...(withSync ? [perSyncWrite] : []),
        w ? `${fmtNum(w.count.min)} / ${fmtNum(w.sent.max)}` : "–",
        fmtSpread(w?.serverCpuUsPerMsg),
        fmtSpread(w?.serverCores),
        fmtSpread(w?.clientCores),
        fmtSpread(w?.sendLagP99Ms),
      ];
    }),
  );
}

/** W4 rows: start-up, idle RSS and idle CPU. */
export function startupTable(rows: readonly TargetSummary[]): string {
  return mdTable(
    ["target", "start-up to serving ms", "idle RSS MiB", "idle CPU %"],
    rows.map((t) => [
      t.name,
      fmtSpread(t.w4?.startupMs),
      fmtSpread(t.w4?.idleRssBytes, 1 / MiB),
      fmtSpread(t.w4?.idleCores, 100),
    ]),
  );
}

export interface ReportInput {
  date: string;
  command: string;
  machine: MachineInfo;
  /** Server and client software, name -> version. */
  versions: Record<string, string>;
  options: Omit<SuiteOptions, "log">;
  limits: Limits;
  results: TargetResult[];
  /** Link to the chart, relative to the markdown file. */
  chartFile: string;
  /** 1-minute load average when the run started and ended, if known. */
  loadAverage?: { start: number; end: number };
}

export function limitsSection(i: ReportInput): string {
  const l = i.limits;
  return [
    `Measured in the same run as the brokers (${i.date}), on the disk and loopback they use. Each is the best`,
    "of two runs. The peer tables give every result as a fraction of its limit.",
    "",
    mdTable(
      ["limit", "how", "result"],
      [
        [
          "sequential write, buffered",
          "`dd if=/dev/zero bs=1M count=1024` (page cache)",
          `${fmtNum(l.ddBufferedMiBps)} MiB/s`,
        ],
        [
          "sequential write, durable",
          "`dd … bs=1M count=1024 conv=fdatasync`",
          `${fmtNum(l.ddFdatasyncMiBps)} MiB/s`,
        ],
        [
          "one durable write at a time",
          "`dd … bs=1k oflag=dsync` (each write waits for the disk)",
          `${fmtNum(l.dsyncWritesPerSec)} writes/s = ${fmtNum(1000 / l.dsyncWritesPerSec)} ms each`,
        ],
        [
          "loopback TCP",
          "one connection, Bun sender and receiver in two processes, 1 MiB writes",
          `${fmtNum(l.tcpLoopbackMiBps)} MiB/s`,
        ],
      ],
    ),
    "",
    "W1 (durable publish) is compared with the fdatasync'ed dd rate, W2 (consume) with loopback TCP, and W3's",
    "p50 with one O_DSYNC write: a broker whose ack waits for the disk cannot answer faster than that.",
  ].join("\n");
}

export function peersSection(i: ReportInput): string {
  const rows = i.results.map(summarize);
  const o = i.options;
  const m = i.machine;
  const errors = rows.flatMap((t) => t.errors.map((e) => `- ${t.name}: ${e}`));
  return [
    `The brokers people would pick instead of bunmq, on this machine, in one run (${i.date}):`,
    "",
    "```",
    i.command,
    "```",
    "",
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memory} RAM, ${m.kernel}, ${m.os}, disk ${m.disk}.`,
    `Software: ${Object.entries(i.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    ...(i.loadAverage
      ? [
          `Load average (1 min) from other jobs on the machine: ${i.loadAverage.start.toFixed(2)} at the start, ` +
            `${i.loadAverage.end.toFixed(2)} at the end.`,
        ]
      : []),
    "",
    `Every figure is the median over ${o.reps} repetition(s), with min–max in brackets. Messages are ` +
      `${o.messageSize} bytes. Each repetition starts the broker fresh on 127.0.0.1, with its data in a new temp ` +
      "folder, and stops it (by pid) afterwards. Repetitions are interleaved across brokers. Server CPU is the " +
      "broker's process tree, read from /proc. Client CPU is what the load generators report. Client and " +
      `server share the machine's ${m.cpus} cores, so a client that needs a core takes it from the broker: read ` +
      "**server CPU µs/msg** as the like-for-like efficiency figure.",
    "",
    "### Durability: what an ack means",
    "",
    mdTable(
      ["target", "system", "an acked message survives", "how"],
      rows.map((t) => [t.name, t.system, t.ackSurvives, t.durability]),
    ),
    "",
    "### Load generators",
    "",
    mdTable(
      ["target", "client"],
      rows.map((t) => [t.name, t.client]),
    ),
    "",
    `### W1: publish ${fmtNum(o.messages)} messages, durable as above`,
    "",
    throughputTable(rows, "w1", i.limits.ddFdatasyncMiBps, "dd fdatasync"),
    "",
    `### W2: consume those ${fmtNum(o.messages)} messages (each acked)`,
    "",
    throughputTable(rows, "w2", i.limits.tcpLoopbackMiBps, "loopback TCP"),
    "",
    `### W3: end-to-end latency at ${fmtNum(o.latencyRate)} msg/s for ${o.latencySeconds} s`,
    "",
    "One producer (each publish awaits its own ack, none waits for an earlier one) and one consumer, in " +
      "one process. Latency runs from handing a message to the client library to its arrival at the consumer. " +
      "The send lag column shows how far the producer ran behind its schedule.",
    "",
    latencyTable(rows, 1000 / i.limits.dsyncWritesPerSec),
    "",
    "### W4: start-up and idle footprint",
    "",
    `Start-up runs from spawning the server until it answers a real request (PING, a JetStream account info, ` +
      `an AMQP channel). Idle RSS and CPU cover the whole process tree, ${o.settleMs / 1000} s after start-up.`,
    "",
    startupTable(rows),
    "",
    `![W1-W3 of the peers](${i.chartFile})`,
    ...(errors.length > 0 ? ["", "Failed repetitions:", "", ...errors] : []),
  ].join("\n");
}

export function peersChart(
  results: TargetResult[],
  highlight: (name: string) => boolean = () => false,
): string {
  const rows = results.map(summarize).filter((t) => t.reps > 0);
  const bars = (pick: (t: TargetSummary) => Spread | undefined) =>
    rows.flatMap((t) => {
      const s = pick(t);
      return s && Number.isFinite(s.median)
        ? [{ label: t.name, value: s.median, min: s.min, max: s.max, highlight: highlight(t.name) }]
        : [];
    });
  const panels: BarPanel[] = [
    { title: "W1 durable publish, msg/s (higher is better)", bars: bars((t) => t.w1?.msgsPerSec) },
    { title: "W2 consume, msg/s (higher is better)", bars: bars((t) => t.w2?.msgsPerSec) },
    { title: "W3 end-to-end latency p50, ms (lower is better)", bars: bars((t) => t.w3?.p50Ms) },
    { title: "W3 end-to-end latency p99, ms (lower is better)", bars: bars((t) => t.w3?.p99Ms) },
  ];
  return barChartSvg(panels);
}

export interface Ratio {
  metric: string;
  candidate: number;
  bestPeer: string;
  best: number;
  /** candidate / best: above 1 is better for "higher is better" metrics, below 1 for the others. */
  ratio: number;
  higherIsBetter: boolean;
}

const RATIO_METRICS: {
  metric: string;
  higherIsBetter: boolean;
  pick: (t: TargetSummary) => Spread | undefined;
}[] = [
  { metric: "W1 publish msg/s", higherIsBetter: true, pick: (t) => t.w1?.msgsPerSec },
  { metric: "W1 server CPU µs/msg", higherIsBetter: false, pick: (t) => t.w1?.serverCpuUsPerMsg },
  { metric: "W2 consume msg/s", higherIsBetter: true, pick: (t) => t.w2?.msgsPerSec },
  { metric: "W2 server CPU µs/msg", higherIsBetter: false, pick: (t) => t.w2?.serverCpuUsPerMsg },
  { metric: "W3 p50 ms", higherIsBetter: false, pick: (t) => t.w3?.p50Ms },
  { metric: "W3 p99 ms", higherIsBetter: false, pick: (t) => t.w3?.p99Ms },
  { metric: "W3 p999 ms", higherIsBetter: false, pick: (t) => t.w3?.p999Ms },
  { metric: "W4 start-up ms", higherIsBetter: false, pick: (t) => t.w4?.startupMs },
  { metric: "W4 idle RSS bytes", higherIsBetter: false, pick: (t) => t.w4?.idleRssBytes },
];

/**
 * candidate / best peer for each metric, on medians. Only peers whose ack survives the same failure
 * as the candidate's are compared (like with like); when none does, all peers are.
 */
export function ratiosToBestPeer(candidate: TargetSummary, peers: readonly TargetSummary[]): Ratio[] {
  const alike = peers.filter((p) => p.ackSurvives === candidate.ackSurvives);
  const pool = alike.length > 0 ? alike : peers;
  const out: Ratio[] = [];
  for (const m of RATIO_METRICS) {
    const c = m.pick(candidate)?.median;
    if (c === undefined || !Number.isFinite(c)) continue;
    let best: { name: string; value: number } | undefined;
    for (const p of pool) {
      const v = m.pick(p)?.median;
      if (v === undefined || !Number.isFinite(v)) continue;
      if (!best || (m.higherIsBetter ? v > best.value : v < best.value)) best = { name: p.name, value: v };
    }
    if (best) {
      out.push({
        metric: m.metric,
        candidate: c,
        bestPeer: best.name,
        best: best.value,
        ratio: c / best.value,
        higherIsBetter: m.higherIsBetter,
      });
    }
  }
  return out;
}

export function ratiosTable(candidateName: string, ratios: readonly Ratio[]): string {
  return mdTable(
    ["metric", candidateName, "best peer", "ratio", "better is"],
    ratios.map((r) => [
      r.metric,
      fmtNum(r.candidate),
      `${r.bestPeer} ${fmtNum(r.best)}`,
      `${r.ratio.toFixed(2)}×`,
      r.higherIsBetter ? "higher" : "lower",
    ]),
  );
}

/** Everything a script needs, for the final JSON line. */
export function summaryJson(i: ReportInput): Record<string, unknown> {
  return {
    date: i.date,
    command: i.command,
    machine: i.machine,
    versions: i.versions,
    options: i.options,
    limits: i.limits,
    targets: Object.fromEntries(i.results.map((r) => [r.name, summarize(r)])),
  };
}
