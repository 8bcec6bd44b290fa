/**
 * What the peer targets share: the server processes they started (stopped last first, by pid) and the temp
 * dir holding their data, removed by stop(). stop() works after a failed start and before any start.
 */
import {
  type AckSurvives,
  type ClientRun,
  type LatencyRun,
  removeDir,
  type ServerProcess,
  type StartInfo,
  type Target,
  type WorkloadContext,
} from "../harness/index.ts";

export abstract class PeerTarget implements Target {
  abstract readonly name: string;
  abstract readonly system: string;
  abstract readonly durability: string;
  abstract readonly ackSurvives: AckSurvives;
  abstract readonly client: string;
  /** Started by start(), in order. */
  protected servers: ServerProcess[] = [];
  protected dir = "";
  /** The port clients connect to. */
  protected port = 0;

  serverPids(): number[] {
    return this.servers.map((s) => s.pid);
  }

  async stop(): Promise<void> {
    for (const s of this.servers.toReversed()) await s.stop();
    this.servers = [];
    if (this.dir) removeDir(this.dir);
    this.dir = "";
  }

  abstract start(): Promise<StartInfo>;
  abstract publish(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  abstract consume(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  abstract latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun>;
}
