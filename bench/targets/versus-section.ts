/** The "## bunmq vs peers" section and the "## Summary" at the top of docs/benchmarks.md (`bun run bench`). */
import {
  fmtNum,
  fmtSpread,
  type Limits,
  mdTable,
  ratiosTable,
  type SuiteOptions,
  summarize,
  type TargetResult,
} from "../harness/index.ts";
import type { RunInfo } from "./cli.ts";
import type { GoalCheck } from "./goals.ts";
import type { RecoveryFigures } from "./recovery.ts";
import type { RoleFootprint } from "./roles.ts";
import {
  clientRows,
  durabilityRows,
  failures,
  latencyRows,
  runHeader,
  spreadOf,
  startupRows,
  throughputRows,
  w1Rows,
  w2Rows,
} from "./tables.ts";

export interface VersusReport {
  run: RunInfo;
  options: Omit<SuiteOptions, "log">;
  versions: Record<string, string>;
  limits: Limits;
  results: TargetResult[];
  isBunmq: (name: string) => boolean;
  roles: { role: string; how: string; figures: RoleFootprint[]; errors: string[] }[];
  recovery: RecoveryFigures[];
  recoveryErrors: string[];
  checks: GoalCheck[];
  ratios: Record<string, import("../harness/index.ts").Ratio[]>;
  chartFile: string;
}

const MiB = 1024 * 1024;

function checksTable(checks: readonly GoalCheck[]): string {
  return mdTable(
    ["goal", "target", "measured", "met", "short by", "why"],
    checks.map((c) => [c.goal, c.target, c.measured, c.met ? "yes" : "**no**", c.shortBy, c.why]),
  );
}

export function versusSection(r: VersusReport): string {
  const o = r.options;
  const l = r.limits;
  const bunmq = r.results.filter((t) => r.isBunmq(t.name));
  const rolesTable = mdTable(
    ["role", "how", "start-up to serving ms", "idle RSS MiB", "idle CPU %"],
    r.roles.map((x) => [
      x.role,
      x.how,
      fmtSpread(spreadOf(x.figures, (f) => f.startupMs)),
      fmtSpread(
        spreadOf(x.figures, (f) => f.idleRssBytes),
        1 / MiB,
      ),
      fmtSpread(
        spreadOf(x.figures, (f) => f.idleCores),
        100,
      ),
    ]),
  );
  const rec = r.recovery;
  const recoveryTable = mdTable(
    [
      "CommitLog written",
      "messages",
      "write time s",
      "recovery: restart to serving ms",
      "acked messages lost",
    ],
    [
      [
        fmtSpread(
          spreadOf(rec, (f) => f.commitLogBytes),
          1 / MiB,
        ).concat(" MiB"),
        fmtSpread(spreadOf(rec, (f) => f.messages)),
        fmtSpread(
          spreadOf(rec, (f) => f.writeMs),
          1 / 1000,
        ),
        fmtSpread(spreadOf(rec, (f) => f.recoveryMs)),
        fmtSpread(spreadOf(rec, (f) => f.lostMessages)),
      ],
    ],
  );
  return [
    "bunmq and the peers in one run, same machine, same workloads (the peers' setup and generators are described " +
      "under Peers above; bunmq's under Remoting and Proxy).",
    "",
    runHeader(r.run, [
      `Software: ${Object.entries(r.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}.`,
      `Physical limits in this run: dd ${fmtNum(l.ddFdatasyncMiBps)} MiB/s with fdatasync, ` +
        `${fmtNum(l.dsyncWritesPerSec)} O_DSYNC 1 KiB writes/s, loopback TCP ${fmtNum(l.tcpLoopbackMiBps)} MiB/s.`,
      "",
      `Median over ${o.reps} repetition(s), min–max in brackets, interleaved across targets; ${fmtNum(o.messages)} ` +
        `messages of ${o.messageSize} bytes. Ratios compare bunmq with the best peer whose ack survives the same ` +
        "failure (SYNC_FLUSH with machine-crash peers, ASYNC_FLUSH with process-crash peers), on medians.",
    ]),
    "",
    "### Targets (issue 8)",
    "",
    checksTable(r.checks),
    "",
    "### Durability of the bunmq targets",
    "",
    durabilityRows(bunmq),
    "",
    clientRows(bunmq),
    "",
    `### W1: publish ${fmtNum(o.messages)} messages`,
    "",
    throughputRows(w1Rows(r.results)),
    "",
    "### W2: consume them, each acked",
    "",
    throughputRows(w2Rows(r.results)),
    "",
    `### W3: end-to-end latency at ${fmtNum(o.latencyRate)} msg/s for ${o.latencySeconds} s`,
    "",
    latencyRows(r.results),
    "",
    "### W4: start-up and idle footprint",
    "",
    "Each target's deployment as started for W1-W3:",
    "",
    startupRows(r.results),
    "",
    "Each bunmq role alone, and `npm start`:",
    "",
    rolesTable,
    "",
    "### W5: crash recovery",
    "",
    "A broker (`bun bin/broker.ts`, ASYNC_FLUSH, 1 GiB CommitLog segments) takes 1 KiB messages (SEND_BATCH_MESSAGE) " +
      "until its CommitLog holds more than 1 GiB, is killed with SIGKILL (the abort marker stays, so the restart " +
      "recovers as after a crash: records from the checkpoint's scan offset on are verified, size, magic and body " +
      "CRC, and re-dispatched into their ConsumeQueues and the index; broker/store/README.md), and is started " +
      "again on the same store; recovery time runs from that spawn until GET_MAX_OFFSET answers for every queue. " +
      "The checkpoint is written every second, so the scan covers about the last second of writes, not the whole " +
      "GiB; a store without a valid checkpoint would be scanned from its first segment.",
    "",
    recoveryTable,
    "",
    "### bunmq / best peer",
    "",
    ...bunmq.flatMap((t) => [
      `${t.name} (${t.ackSurvives}):`,
      "",
      ratiosTable(t.name, r.ratios[t.name] ?? []),
      "",
    ]),
    `![W1-W3, bunmq highlighted](${r.chartFile})`,
    ...failures([
      ...r.results,
      ...r.roles.map((x) => ({ name: `W4 ${x.role}`, errors: x.errors })),
      { name: "W5", errors: r.recoveryErrors },
    ]),
  ].join("\n");
}

/** A short summary for the top of the file: the headline figures and the targets. */
export function summarySection(r: VersusReport): string {
  const rows = r.results
    .filter((t) => r.isBunmq(t.name))
    .map(summarize)
    .map((s) => [
      s.name,
      s.ackSurvives,
      fmtSpread(s.w1?.msgsPerSec),
      fmtSpread(s.w1?.serverCpuUsPerMsg),
      fmtSpread(s.w2?.msgsPerSec),
      fmtSpread(s.w3?.p99Ms),
    ]);
  const met = r.checks.filter((c) => c.met);
  const missed = r.checks.filter((c) => !c.met);
  // "W1 publish ≥ 1.5× best peer: bunmq-remoting-async, bunmq-remoting-sync; ..."
  const goals = (list: GoalCheck[]) => {
    const byGoal = new Map<string, string[]>();
    for (const c of list) {
      const goal = c.goal.split(" (")[0]!;
      byGoal.set(goal, [...(byGoal.get(goal) ?? []), c.target]);
    }
    return [...byGoal].map(([goal, who]) => `${goal}: ${[...new Set(who)].join(", ")}`).join("; ");
  };
  return [
    `From \`${r.run.command}\` (${r.run.date}, bunmq ${r.run.revision}, ${r.run.machine.cpus} shared cores, load average ` +
      `${r.run.loadAverage.start.toFixed(1)}–${r.run.loadAverage.end.toFixed(1)}); details in the sections below.`,
    "",
    mdTable(
      [
        "bunmq target",
        "ack survives",
        "W1 publish msg/s",
        "W1 server CPU µs/msg",
        "W2 consume msg/s",
        "W3 p99 ms",
      ],
      rows,
    ),
    "",
    `Targets of issue 8: ${met.length} of ${r.checks.length} met${met.length > 0 ? `: ${goals(met)}` : ""}.` +
      (missed.length > 0
        ? ` Missed (by how much and why: "bunmq vs peers", Targets): ${goals(missed)}.`
        : ""),
    "",
    "Where the time goes: in the broker, the remoting header code and the store's per-message work on one JS " +
      "thread (about 10 µs of CPU per single send after this round's fixes, from 27); in the proxy, protobuf-es " +
      "encoding and decoding, HTTP/2 framing and the broker's pop and ack behind it. The sections Remoting and " +
      "Proxy give the profiles, what was changed and what is left.",
  ].join("\n");
}
