/** The "## Proxy" section of docs/benchmarks.md (bench:proxy): issue 6's figures beside the remoting ones. */
import {
  fmtNum,
  mdTable,
  type SuiteOptions,
  type TargetResult,
  type ThroughputFigures,
} from "../harness/index.ts";
import type { RunInfo } from "./cli.ts";
import { PROXY_PROFILE } from "./findings.ts";
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

export interface ProxyReport {
  run: RunInfo;
  options: Omit<SuiteOptions, "log">;
  /** W1-W4: the proxy targets and, last, the direct remoting target they are compared with. */
  suite: TargetResult[];
  /** W1 of the batched variants, the remoting one included. */
  batched: PublishOnlyResult[];
  batch: number;
  /** W1 through the official SDK (gRPC, Local mode), small runs. */
  sdk: ThroughputFigures[];
  sdkMessages: number;
  sdkInFlight: number;
  /** Name of the direct remoting target (single sends) and of its batched twin. */
  remoting: string;
  remotingBatched: string;
}

/** The share of direct remoting publish throughput a path reaches (medians); issue 6's target is 70 %. */
export const PROXY_SHARE_TARGET = 0.7;

function w1Of(r: ProxyReport, name: string): ThroughputFigures[] {
  return (
    r.suite.find((t) => t.name === name)?.reps.map((x) => x.w1) ??
    r.batched.find((b) => b.name === name)?.w1 ??
    []
  );
}

const median = (f: ThroughputFigures[]) => spreadOf(f, (x) => x.msgsPerSec)?.median ?? Number.NaN;

/** Every proxy path's publish throughput as a share of direct remoting with the same batching. */
export function proxyShares(r: ProxyReport): Record<string, number> {
  const out: Record<string, number> = {};
  const single = median(w1Of(r, r.remoting));
  const batched = median(w1Of(r, r.remotingBatched));
  for (const t of r.suite) if (t.name !== r.remoting) out[t.name] = median(w1Of(r, t.name)) / single;
  for (const b of r.batched) if (b.name !== r.remotingBatched) out[b.name] = median(b.w1) / batched;
  return out;
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : "–";
}

export function proxySection(r: ProxyReport): string {
  const o = r.options;
  const shares = proxyShares(r);
  const row = (name: string, per: string, share: number | undefined) => {
    const f = w1Of(r, name);
    return [
      name,
      per,
      fmt(f, (x) => x.msgsPerSec),
      share === undefined ? "(reference)" : pct(share),
      share === undefined
        ? ""
        : share >= PROXY_SHARE_TARGET
          ? "met"
          : `missed by ${pct(PROXY_SHARE_TARGET - share)}`,
      fmt(f, (x) => x.serverCpuUsPerMsg),
      fmt(f, (x) => x.serverCores),
      fmt(f, (x) => x.clientCpuUsPerMsg),
      f.length > 0 ? `${fmt(f, (x) => x.clientCores)} (${f[0]!.clientProcesses})` : "–",
    ];
  };
  const publish = mdTable(
    [
      "target",
      "messages per request",
      "msg/s",
      "share of direct remoting",
      "target ≥ 70 %",
      "server CPU µs/msg",
      "server cores",
      "client CPU µs/msg",
      "client cores (procs)",
    ],
    [
      ...r.suite.map((t) => row(t.name, "1", t.name === r.remoting ? undefined : shares[t.name])),
      ...r.batched.map((b) =>
        row(b.name, String(r.batch), b.name === r.remotingBatched ? undefined : shares[b.name]),
      ),
    ],
  );
  const sdk = mdTable(
    ["client", "messages", "in flight", "msg/s", "server CPU µs/msg", "client CPU µs/msg", "client cores"],
    [
      [
        "rocketmq-client-nodejs (official SDK, @grpc/grpc-js), Producer.send",
        fmtNum(r.sdkMessages),
        String(r.sdkInFlight),
        fmt(r.sdk, (x) => x.msgsPerSec),
        fmt(r.sdk, (x) => x.serverCpuUsPerMsg),
        fmt(r.sdk, (x) => x.clientCpuUsPerMsg),
        fmt(r.sdk, (x) => x.clientCores),
      ],
    ],
  );
  const all = [...r.suite, ...r.batched];
  return [
    "RocketMQ 5's gRPC API through the proxy, next to the same broker spoken to directly over remoting: Local mode " +
      "(`bun bin/proxy.ts --mode local`, the broker inside the proxy's process), Cluster mode (nameserver, broker " +
      "and `bun bin/proxy.ts --mode cluster` as three processes, the proxy reaching the broker over remoting) and " +
      "Connect over HTTP/1.1 (the proxy's HTTP port, Local mode). Each role runs in its own process on 127.0.0.1 " +
      "with a fresh temp dir; the generators run in separate Bun processes.",
    "",
    runHeader(r.run, [
      "",
      `Every figure is the median over ${o.reps} repetition(s), min–max in brackets; ${fmtNum(o.messages)} messages ` +
        `of ${o.messageSize} bytes per run, flushDiskType ASYNC_FLUSH everywhere (so every ack survives a process ` +
        "crash). Server CPU covers every role process of the target (for Cluster mode: proxy, broker and " +
        "nameserver), per message.",
    ]),
    "",
    "### Publish (W1), and the share of direct remoting throughput",
    "",
    `Single-message requests are compared with SEND_MESSAGE_V2, ${r.batch}-message requests with SEND_BATCH_MESSAGE ` +
      `of ${r.batch}; issue 6 asks for at least 70 %.`,
    "",
    publish,
    "",
    "The official Node SDK, a smaller run (Local mode, gRPC) for what an application gets:",
    "",
    sdk,
    "",
    "### Receive (W2): ReceiveMessage + AckMessage",
    "",
    throughputRows(w2Rows(r.suite)),
    "",
    `### End-to-end latency at ${fmtNum(o.latencyRate)} msg/s for ${o.latencySeconds} s`,
    "",
    "One SendMessage per message, four long-polling ReceiveMessage calls and an AckMessage per received batch, in " +
      "one process (the remoting row: SEND_MESSAGE_V2 and long-polling PULL_MESSAGE).",
    "",
    latencyRows(r.suite),
    "",
    "### Start-up and idle footprint of each deployment",
    "",
    startupRows(r.suite),
    "",
    ...closingLines(r.suite, all, PROXY_PROFILE),
  ].join("\n");
}
