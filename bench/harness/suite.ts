/**
 * Runs W1-W4 for each target, `reps` times, one target at a time. Repetitions are interleaved
 * (rep 1 of every target, then rep 2, ...) so that a slow minute on the shared machine spreads
 * over all targets instead of hitting one.
 */
import { clockTicksPerSecond, treeUsage } from "./proc.ts";
import { ResourceMeter, type WindowUsage } from "./resource-meter.ts";
import { percentile, sortedCopy } from "./stats.ts";
import type { AckSurvives, ClientRun, LatencyRun, Target, WorkloadContext } from "./target.ts";

export interface SuiteOptions {
  reps: number;
  /** W1 publishes this many, W2 consumes them. */
  messages: number;
  messageSize: number;
  /** W3: messages per second and duration. */
  latencyRate: number;
  latencySeconds: number;
  /** W4: how long the started server idles before its RSS and idle CPU are read. */
  settleMs: number;
  /** Generator processes per workload; 0 lets each target choose. */
  processes: number;
  log: (line: string) => void;
}

export const defaultSuiteOptions: Readonly<Omit<SuiteOptions, "log">> = Object.freeze({
  reps: 3,
  messages: 200_000,
  messageSize: 1024,
  latencyRate: 2000,
  latencySeconds: 10,
  settleMs: 3000,
  processes: 0,
});

export interface ThroughputFigures {
  count: number;
  elapsedMs: number;
  msgsPerSec: number;
  mibPerSec: number;
  serverCpuMs: number;
  clientCpuMs: number;
  /** Server CPU time per message: the like-for-like efficiency figure. */
  serverCpuUsPerMsg: number;
  clientCpuUsPerMsg: number;
  /** CPU time / wall time: 1.0 is one core busy for the whole run. */
  serverCores: number;
  clientCores: number;
  clientProcesses: number;
  peakRssBytes: number;
}

export interface LatencyFigures extends ThroughputFigures {
  sent: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  sendLagP99Ms: number;
}

export interface StartupFigures {
  startupMs: number;
  idleRssBytes: number;
  /** Server CPU while idle after start-up, in cores. */
  idleCores: number;
}

export interface RepFigures {
  w1: ThroughputFigures;
  w2: ThroughputFigures;
  w3: LatencyFigures;
  w4: StartupFigures;
}

export interface TargetResult {
  name: string;
  system: string;
  durability: string;
  ackSurvives: AckSurvives;
  client: string;
  reps: RepFigures[];
  /** Set when a repetition failed; the other repetitions still count. */
  errors: string[];
}

const MiB = 1024 * 1024;

export function throughputFigures(
  run: ClientRun,
  usage: WindowUsage,
  messageSize: number,
): ThroughputFigures {
  const seconds = run.elapsedMs / 1000;
  const per = (ms: number) => (run.count > 0 ? (ms * 1000) / run.count : Number.NaN);
  return {
    count: run.count,
    elapsedMs: run.elapsedMs,
    msgsPerSec: run.count / seconds,
    mibPerSec: (run.count * messageSize) / MiB / seconds,
    serverCpuMs: usage.serverCpuMs,
    clientCpuMs: run.clientCpuMs,
    serverCpuUsPerMsg: per(usage.serverCpuMs),
    clientCpuUsPerMsg: per(run.clientCpuMs),
    serverCores: usage.serverCpuMs / usage.wallMs,
    clientCores: run.clientCpuMs / run.elapsedMs,
    clientProcesses: run.clientProcesses,
    peakRssBytes: usage.peakRssBytes,
  };
}

export function latencyFigures(run: LatencyRun, usage: WindowUsage, messageSize: number): LatencyFigures {
  const lat = sortedCopy(run.latenciesMs);
  const lag = sortedCopy(run.sendLagMs);
  const q = (s: number[], p: number) => (s.length > 0 ? percentile(s, p) : Number.NaN);
  return {
    ...throughputFigures(run, usage, messageSize),
    sent: run.sent,
    p50Ms: q(lat, 0.5),
    p99Ms: q(lat, 0.99),
    p999Ms: q(lat, 0.999),
    maxMs: q(lat, 1),
    sendLagP99Ms: q(lag, 0.99),
  };
}

async function measured<T extends ClientRun>(
  target: Target,
  o: SuiteOptions,
  call: (ctx: WorkloadContext) => Promise<T>,
): Promise<{ run: T; usage: WindowUsage }> {
  const meter = new ResourceMeter(() => target.serverPids());
  try {
    // The whole call is the window unless the target narrows it (fanOut does).
    meter.begin();
    const run = await call({ messageSize: o.messageSize, window: meter, processes: o.processes });
    meter.end();
    return { run, usage: meter.usage() };
  } finally {
    meter.close();
  }
}

export async function runRep(target: Target, o: SuiteOptions): Promise<RepFigures> {
  const hz = clockTicksPerSecond();
  try {
    // Inside the try: a start() that fails half-way still has processes for stop() to end.
    const { startupMs } = await target.start();
    const idle0 = treeUsage(target.serverPids(), hz);
    const t0 = performance.now();
    await Bun.sleep(o.settleMs);
    const idle1 = treeUsage(target.serverPids(), hz);
    const w4: StartupFigures = {
      startupMs,
      idleRssBytes: idle1.rssBytes,
      idleCores: (idle1.cpuMs - idle0.cpuMs) / (performance.now() - t0),
    };
    o.log(
      `  ${target.name}: W4 start-up ${startupMs.toFixed(0)} ms, idle RSS ${(w4.idleRssBytes / MiB).toFixed(1)} MiB`,
    );

    const p = await measured(target, o, (ctx) => target.publish(o.messages, ctx));
    if (p.run.count !== o.messages) throw new Error(`W1 published ${p.run.count} of ${o.messages}`);
    const w1 = throughputFigures(p.run, p.usage, o.messageSize);
    o.log(
      `  ${target.name}: W1 ${w1.msgsPerSec.toFixed(0)} msg/s, server ${w1.serverCpuUsPerMsg.toFixed(1)} us/msg`,
    );

    const c = await measured(target, o, (ctx) => target.consume(o.messages, ctx));
    if (c.run.count !== o.messages) throw new Error(`W2 consumed ${c.run.count} of ${o.messages}`);
    const w2 = throughputFigures(c.run, c.usage, o.messageSize);
    o.log(
      `  ${target.name}: W2 ${w2.msgsPerSec.toFixed(0)} msg/s, server ${w2.serverCpuUsPerMsg.toFixed(1)} us/msg`,
    );

    const l = await measured(target, o, (ctx) => target.latencyRun(o.latencyRate, o.latencySeconds, ctx));
    const w3 = latencyFigures(l.run, l.usage, o.messageSize);
    o.log(
      `  ${target.name}: W3 p50 ${w3.p50Ms.toFixed(2)} p99 ${w3.p99Ms.toFixed(2)} p999 ${w3.p999Ms.toFixed(2)} ms, ` +
        `${l.run.count}/${l.run.sent} received`,
    );
    return { w1, w2, w3, w4 };
  } finally {
    await target.stop();
  }
}

export async function runSuite(targets: readonly Target[], o: SuiteOptions): Promise<TargetResult[]> {
  const results: TargetResult[] = targets.map((t) => ({
    name: t.name,
    system: t.system,
    durability: t.durability,
    ackSurvives: t.ackSurvives,
    client: t.client,
    reps: [],
    errors: [],
  }));
  for (let rep = 1; rep <= o.reps; rep++) {
    o.log(`repetition ${rep} of ${o.reps}`);
    for (const [i, target] of targets.entries()) {
      try {
        results[i].reps.push(await runRep(target, o));
      } catch (e) {
        const text = e instanceof Error ? e.message : String(e);
        results[i].errors.push(`rep ${rep}: ${text}`);
        o.log(`  ${target.name}: FAILED ${text}`);
      }
    }
  }
  return results;
}
