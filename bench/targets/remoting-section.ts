/** The "## Remoting" section of docs/benchmarks.md (bench:remoting): issue 5's figures beside the engine's. */
import {
  fmtNum,
  fmtSpread,
  mdTable,
  type SuiteOptions,
  type TargetResult,
  type ThroughputFigures,
} from "../harness/index.ts";
import type { RunInfo } from "./cli.ts";
import type { EngineAppendFigures } from "./engine-append.ts";
import { REMOTING_PROFILE } from "./findings.ts";
import type { PublishOnlyResult } from "./publish-only.ts";
import {
  closingLines,
  fmt,
  latencyRows,
  runHeader,
  spreadOf,
  startupRows,
  throughputRows,
  w2Rows,
} from "./tables.ts";

export interface EngineRow {
  flushDiskType: string;
  batch: number;
  figures: EngineAppendFigures[];
}

export interface RemotingReport {
  run: RunInfo;
  options: Omit<SuiteOptions, "log">;
  engine: EngineRow[];
  /** W1-W4 of SEND_MESSAGE_V2 targets (ASYNC_FLUSH, SYNC_FLUSH). */
  suite: TargetResult[];
  /** W1 of SEND_BATCH_MESSAGE targets. */
  batched: PublishOnlyResult[];
  batch: number;
}

/** Remoting W1 figures per (flushDiskType, batch), to put beside the engine's. */
function remotingW1(r: RemotingReport, flush: string, batch: number): ThroughputFigures[] {
  const sync = flush === "SYNC_FLUSH" ? "sync" : "async";
  const name = `bunmq-remoting-${sync}${batch > 1 ? `-batch${batch}` : ""}`;
  if (batch > 1) return r.batched.find((b) => b.name === name)?.w1 ?? [];
  return r.suite.find((t) => t.name === name)?.reps.map((x) => x.w1) ?? [];
}

export function remotingShare(r: RemotingReport, flush: string, batch: number): number {
  const engine = r.engine.find((e) => e.flushDiskType === flush && e.batch === batch);
  const net = spreadOf(remotingW1(r, flush, batch), (x) => x.msgsPerSec)?.median ?? Number.NaN;
  const eng = engine ? (spreadOf(engine.figures, (x) => x.msgsPerSec)?.median ?? Number.NaN) : Number.NaN;
  return net / eng;
}

export function remotingSection(r: RemotingReport): string {
  const o = r.options;
  const engineTable = mdTable(
    [
      "request",
      "flushDiskType",
      "engine msg/s",
      "engine CPU µs/msg",
      "remoting msg/s",
      "share of the engine",
      "server CPU µs/msg",
      "server cores",
      "client CPU µs/msg",
      "client cores (procs)",
    ],
    r.engine.map((e) => {
      const w = remotingW1(r, e.flushDiskType, e.batch);
      const share = remotingShare(r, e.flushDiskType, e.batch);
      return [
        e.batch > 1 ? `SEND_BATCH_MESSAGE ×${e.batch}` : "SEND_MESSAGE_V2",
        e.flushDiskType,
        fmtSpread(spreadOf(e.figures, (x) => x.msgsPerSec)),
        fmtSpread(spreadOf(e.figures, (x) => x.cpuUsPerMsg)),
        fmt(w, (x) => x.msgsPerSec),
        Number.isFinite(share) ? `${(100 * share).toFixed(1)} %` : "–",
        fmt(w, (x) => x.serverCpuUsPerMsg),
        fmt(w, (x) => x.serverCores),
        fmt(w, (x) => x.clientCpuUsPerMsg),
        w.length > 0 ? `${fmt(w, (x) => x.clientCores)} (${w[0]!.clientProcesses})` : "–",
      ];
    }),
  );
  const all = [...r.suite, ...r.batched.map((b) => ({ ...b, errors: b.errors }))];
  return [
    "bunmq's own protocol, end to end: a nameserver and a broker, each `bun bin/<role>.ts` in its own process on " +
      "127.0.0.1 with its data in a fresh temp dir, driven by load generators in separate Bun processes.",
    "",
    runHeader(r.run, [
      "",
      `Every figure is the median over ${o.reps} repetition(s), min–max in brackets; ${fmtNum(o.messages)} messages ` +
        `of ${o.messageSize} bytes per run. Server CPU is the two role processes' utime + stime from /proc; client ` +
        "CPU is what the generator processes report. Client and server share the machine's cores.",
    ]),
    "",
    "### Publish: how much of the storage engine's speed survives the network",
    "",
    "The engine column is broker/store alone in the bench process (same messages and properties, the same number " +
      "of appends in flight, the same flushDiskType, the same disk, same run). The remoting column is a SEND_MESSAGE_V2 " +
      `(or SEND_BATCH_MESSAGE of ${r.batch}) per request through the broker process. The \`## Storage engine\` ` +
      "section (bench:store), where present, has the engine's own benchmark.",
    "",
    engineTable,
    "",
    "### Consume: PULL_MESSAGE over every queue",
    "",
    `maxMsgNums 32, one pull in flight per queue, the offset committed with the next pull; the ${fmtNum(o.messages)} ` +
      "messages W1 (SEND_MESSAGE_V2) wrote.",
    "",
    throughputRows(w2Rows(r.suite)),
    "",
    `### End-to-end latency at ${fmtNum(o.latencyRate)} msg/s for ${o.latencySeconds} s`,
    "",
    "One SEND_MESSAGE_V2 per message (each awaits its own response, none waits for another) and long-polling pulls " +
      "(suspend 1 s) on every queue, in one process.",
    "",
    latencyRows(r.suite),
    "",
    "### Start-up and idle footprint (nameserver + broker)",
    "",
    startupRows(r.suite),
    "",
    ...closingLines(r.suite, all, REMOTING_PROFILE),
  ].join("\n");
}
