/**
 * What the bunmq targets share: they own a BunmqStack (its processes and data), give each workload a fresh
 * topic, and take their durability from the flushDiskType. Subclasses speak one protocol to it.
 */
import type {
  AckSurvives,
  ClientRun,
  LatencyRun,
  StartInfo,
  Target,
  WorkloadContext,
} from "../harness/index.ts";
import { DURABILITY } from "./durability.ts";
import { BunmqStack, type BunmqStackOptions } from "./stack.ts";

export abstract class StackTarget implements Target {
  abstract readonly name: string;
  abstract readonly system: string;
  abstract readonly client: string;
  readonly durability: string;
  readonly ackSurvives: AckSurvives;
  protected readonly stack: BunmqStack;
  /** Bumped by each W1, so that W2 reads exactly what W1 wrote. */
  protected round = 0;
  /** W3 runs get a topic of their own each (a second run must not read the first one's messages). */
  protected latencyRuns = 0;

  constructor(stackOptions: Pick<BunmqStackOptions, "layout" | "flushDiskType" | "runtimeFlags">) {
    this.durability = DURABILITY[stackOptions.flushDiskType];
    this.ackSurvives = stackOptions.flushDiskType === "SYNC_FLUSH" ? "machine crash" : "process crash";
    this.stack = new BunmqStack(stackOptions);
  }

  async start(): Promise<StartInfo> {
    this.round = 0;
    return { startupMs: await this.stack.start() };
  }

  serverPids(): number[] {
    return this.stack.pids();
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }

  /** A fresh topic per workload so W2 reads exactly what W1 wrote. */
  protected topic(kind: string): string {
    return `bench-${kind}-${this.round}`;
  }

  abstract publish(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  abstract consume(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  abstract latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun>;
}
