/**
 * NATS JetStream as a peer: nats-server -js with file storage, one replica; JetStream publish with
 * PubAck, a durable pull consumer with explicit per-message acks (spoken through core NATS, see
 * the jobs file).
 */
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, type NatsConnection, StorageType } from "nats";
import {
  type AckSurvives,
  type ClientRun,
  commandOutputLine,
  fanOutConsume,
  fixedRateWorkload,
  freePort,
  LatencyRecorder,
  type LatencyRun,
  makeTempDir,
  ServerProcess,
  type StartInfo,
  type WorkloadContext,
  workloadProcesses,
} from "../harness/index.ts";
import {
  connectNats,
  createAckedPublisher,
  type NatsConsumeParams,
  type NatsPublishParams,
  startPuller,
} from "./nats-jetstream-jobs.ts";
import { PeerTarget } from "./peer-target.ts";

export interface NatsJetStreamTargetOptions {
  publishProcesses: number;
  consumeProcesses: number;
  publishInFlight: number;
  consumeBatch: number;
  startTimeoutMs: number;
}

export const defaultNatsJetStreamTargetOptions: Readonly<NatsJetStreamTargetOptions> = Object.freeze({
  publishProcesses: 2,
  consumeProcesses: 2,
  publishInFlight: 1000,
  consumeBatch: 1000,
  startTimeoutMs: 30_000,
});

const DURABILITY =
  "JetStream file storage, 1 replica. nats-server 2.9 has no sync_interval option (2.10 added it): the " +
  "PubAck is sent after the message is written to the block file (page cache) and the server fsyncs " +
  "only in the background, so an ack survives a process crash but a machine crash may lose recent acks.";

const jobs = new URL("./nats-jetstream-jobs.ts", import.meta.url).pathname;

export class NatsJetStreamTarget extends PeerTarget {
  readonly name = "nats-jetstream-file";
  readonly system: string;
  readonly durability = DURABILITY;
  readonly ackSurvives: AckSurvives = "process crash";
  readonly client: string;
  private readonly options: NatsJetStreamTargetOptions;

  constructor(options: Partial<NatsJetStreamTargetOptions> = {}) {
    super();
    this.options = { ...defaultNatsJetStreamTargetOptions, ...options };
    const banner = commandOutputLine(["nats-server", "--version"]);
    this.system = `NATS JetStream ${banner.match(/v(\d\S*)/)?.[1] ?? "?"}`;
    const o = this.options;
    this.client =
      `nats (nats.js) core protocol. W1: publish with a reply subject, PubAck counted, ${o.publishInFlight} in ` +
      `flight per process, ${o.publishProcesses} processes. W2: durable pull consumer, pulls of ${o.consumeBatch}, ` +
      `+ACK per message, ${o.consumeProcesses} processes.`;
  }

  async start(): Promise<StartInfo> {
    this.dir = makeTempDir("nats");
    this.port = freePort();
    const server = new ServerProcess({
      cmd: ["nats-server", "-js", "-sd", join(this.dir, "js"), "-a", "127.0.0.1", "-p", String(this.port)],
      logFile: join(this.dir, "nats.log"),
      stopGraceMs: 10_000,
    });
    this.servers.push(server);
    await server.waitServing(
      "nats-server serving JetStream",
      async () => {
        const nc = await connectNats(this.port);
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
          return true;
        } finally {
          await nc.close();
        }
      },
      this.options.startTimeoutMs,
      5,
    );
    return { startupMs: performance.now() - server.startedAt };
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    await this.withConnection(async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: "W1", subjects: ["w1"], storage: StorageType.File, num_replicas: 1 });
    });
    return this.publishShares<NatsPublishParams>(jobs, "natsPublish", n, ctx, this.options, {
      subject: "w1",
    });
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    await this.withConnection(async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.add("W1", {
        durable_name: "w2",
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        // The default (1000) would throttle a batch-pulling consumer that acks one by one.
        max_ack_pending: 100_000,
      });
    });
    const procs = workloadProcesses(ctx, this.options.consumeProcesses);
    const params: NatsConsumeParams[] = Array.from({ length: procs }, () => ({
      port: this.port,
      stream: "W1",
      consumer: "w2",
      batch: this.options.consumeBatch,
    }));
    return fanOutConsume(jobs, "natsConsume", params, n, ctx.window);
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    const producer = await connectNats(this.port);
    const consumerConn = await connectNats(this.port);
    try {
      const jsm = await producer.jetstreamManager();
      await jsm.streams.add({ name: "W3", subjects: ["w3"], storage: StorageType.File, num_replicas: 1 });
      await jsm.consumers.add("W3", {
        durable_name: "w3",
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
      });
      const recorder = new LatencyRecorder(Math.round(rate * seconds));
      const puller = startPuller(consumerConn, "W3", "w3", 100, (m) => recorder.receive(m.data));
      const publish = createAckedPublisher(producer);
      try {
        return await fixedRateWorkload(rate, seconds, ctx, recorder, (body) => publish("w3", body));
      } finally {
        puller.stop();
      }
    } finally {
      await Promise.all([producer.close(), consumerConn.close()]);
    }
  }

  private async withConnection<T>(fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const nc = await connectNats(this.port);
    try {
      return await fn(nc);
    } finally {
      await nc.close();
    }
  }
}

export function createNatsJetStreamTarget(
  options: Partial<NatsJetStreamTargetOptions> = {},
): NatsJetStreamTarget {
  return new NatsJetStreamTarget(options);
}
