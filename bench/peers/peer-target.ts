/**
 * What the peer targets share: the server processes they started (stopped last first, by pid) and the temp
 * dir holding their data, removed by stop(). stop() works after a failed start and before any start.
 */
import {
  type AckSurvives,
  type ClientRun,
  fanOutPublish,
  type LatencyRun,
  removeDir,
  type ServerProcess,
  type StartInfo,
  shares,
  type Target,
  type WorkloadContext,
  workloadProcesses,
} from "../harness/index.ts";

/** What every peer's publisher job is told besides where to publish. */
export interface PeerPublishParams {
  port: number;
  n: number;
  messageSize: number;
  inFlight: number;
}

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

  /**
   * W1 through fanOut: the run's generator processes (else `o.publishProcesses`) each publish their share of n
   * to this.port, with `o.publishInFlight` unanswered; `where` names the stream, subject or queue.
   */
  protected publishShares<P extends PeerPublishParams>(
    module: string,
    job: string,
    n: number,
    ctx: WorkloadContext,
    o: { publishProcesses: number; publishInFlight: number },
    where: Omit<P, keyof PeerPublishParams>,
  ): Promise<ClientRun> {
    const params = shares(n, workloadProcesses(ctx, o.publishProcesses)).map(
      (share) =>
        ({
          port: this.port,
          ...where,
          n: share,
          messageSize: ctx.messageSize,
          inFlight: o.publishInFlight,
        }) as P,
    );
    return fanOutPublish(module, job, params, n, ctx.window);
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
