/**
 * W1 alone for variants whose W2-W4 would repeat another target's (batched sends: same server, same consume
 * path): start, publish n, stop, `reps` times, interleaved across targets like the suite. Figures are the suite's
 * ThroughputFigures, so the same tables and summaries read them.
 */
import {
  ResourceMeter,
  type Target,
  type ThroughputFigures,
  throughputFigures,
  type WorkloadContext,
} from "../harness/index.ts";

export interface PublishOnlyOptions {
  reps: number;
  messages: number;
  messageSize: number;
  processes: number;
  log: (line: string) => void;
}

export interface PublishOnlyResult {
  name: string;
  system: string;
  client: string;
  w1: ThroughputFigures[];
  errors: string[];
}

export async function publishOnce(
  target: Target,
  o: Omit<PublishOnlyOptions, "reps" | "log">,
): Promise<ThroughputFigures> {
  const meter = new ResourceMeter(() => target.serverPids());
  try {
    await target.start();
    meter.begin();
    const ctx: WorkloadContext = { messageSize: o.messageSize, window: meter, processes: o.processes };
    const run = await target.publish(o.messages, ctx);
    meter.end();
    if (run.count !== o.messages) throw new Error(`published ${run.count} of ${o.messages}`);
    return throughputFigures(run, meter.usage(), o.messageSize);
  } finally {
    meter.close();
    await target.stop();
  }
}

export async function runPublishOnly(
  targets: readonly Target[],
  o: PublishOnlyOptions,
): Promise<PublishOnlyResult[]> {
  const results: PublishOnlyResult[] = targets.map((t) => ({
    name: t.name,
    system: t.system,
    client: t.client,
    w1: [],
    errors: [],
  }));
  for (let rep = 1; rep <= o.reps; rep++) {
    o.log(`publish-only repetition ${rep} of ${o.reps}`);
    for (const [i, target] of targets.entries()) {
      try {
        const f = await publishOnce(target, o);
        results[i]!.w1.push(f);
        o.log(
          `  ${target.name}: W1 ${f.msgsPerSec.toFixed(0)} msg/s, server ${f.serverCpuUsPerMsg.toFixed(1)} us/msg`,
        );
      } catch (e) {
        const text = e instanceof Error ? e.message : String(e);
        results[i]!.errors.push(`rep ${rep}: ${text}`);
        o.log(`  ${target.name}: FAILED ${text}`);
      }
    }
  }
  return results;
}
