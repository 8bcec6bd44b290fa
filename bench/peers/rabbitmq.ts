/**
 * RabbitMQ as a peer, with a quorum queue or a stream, over AMQP 0-9-1: publisher confirms to
 * publish, basic.consume with a prefetch window and multiple-acks to consume. The node runs in the
 * foreground with its own epmd, both on 127.0.0.1, with every file under a temp dir.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChannelModel } from "amqplib";
import {
  type AckSurvives,
  type ClientRun,
  fanOutConsume,
  fixedRateWorkload,
  freePorts,
  LatencyRecorder,
  type LatencyRun,
  makeTempDir,
  ServerProcess,
  type StartInfo,
  type WorkloadContext,
  workloadProcesses,
} from "../harness/index.ts";
import { PeerTarget } from "./peer-target.ts";
import {
  type AmqpConsumeParams,
  type AmqpPublishParams,
  connectAmqp,
  consumeAcked,
  publishOne,
} from "./rabbitmq-jobs.ts";

export type RabbitQueueType = "quorum" | "stream";

export interface RabbitMqTargetOptions {
  queueType: RabbitQueueType;
  publishProcesses: number;
  /** Stream queues are read whole by each consumer, so they always use one consumer process. */
  consumeProcesses: number;
  publishInFlight: number;
  prefetch: number;
  ackEvery: number;
  startTimeoutMs: number;
  /** The rabbitmq-server start script (not /usr/sbin's wrapper, which switches to the rabbitmq user). */
  serverScript: string;
}

export const defaultRabbitMqTargetOptions: Readonly<RabbitMqTargetOptions> = Object.freeze({
  queueType: "quorum",
  publishProcesses: 2,
  consumeProcesses: 2,
  publishInFlight: 500,
  prefetch: 1000,
  ackEvery: 100,
  startTimeoutMs: 120_000,
  serverScript: "/usr/lib/rabbitmq/bin/rabbitmq-server",
});

const DURABILITY: Record<RabbitQueueType, string> = {
  quorum:
    "Quorum queue on one node: the publisher confirm is sent after the Raft log entry is in the Ra WAL " +
    "and the WAL is fdatasync'ed (batched across publishers), so an ack survives a process crash and a " +
    "machine crash.",
  stream:
    "Stream on one node: the publisher confirm is sent once the chunk is written to the segment file; " +
    "streams do not fsync (they count on replication), so an ack survives a process crash but a machine " +
    "crash may lose recent acks.",
};

const jobs = new URL("./rabbitmq-jobs.ts", import.meta.url).pathname;

export class RabbitMqTarget extends PeerTarget {
  readonly name: string;
  readonly system: string;
  readonly durability: string;
  readonly ackSurvives: AckSurvives;
  readonly client: string;
  private readonly options: RabbitMqTargetOptions;

  constructor(options: Partial<RabbitMqTargetOptions> = {}) {
    super();
    this.options = { ...defaultRabbitMqTargetOptions, ...options };
    this.name = `rabbitmq-${this.options.queueType}`;
    this.system = `RabbitMQ ${rabbitVersion(this.options.serverScript)} (${this.options.queueType} queue)`;
    this.durability = DURABILITY[this.options.queueType];
    this.ackSurvives = this.options.queueType === "quorum" ? "machine crash" : "process crash";
    const o = this.options;
    const consumers = o.queueType === "stream" ? 1 : o.consumeProcesses;
    this.client =
      `amqplib. W1: confirm channel, persistent messages, ${o.publishInFlight} unconfirmed per process, ` +
      `${o.publishProcesses} processes. W2: basic.consume, prefetch ${o.prefetch}, multiple-ack every ` +
      `${o.ackEvery}, ${consumers} process${consumers > 1 ? "es" : ""}` +
      (o.queueType === "stream" ? " (x-stream-offset first; each stream consumer reads everything)." : ".");
  }

  async start(): Promise<StartInfo> {
    const t0 = performance.now();
    this.dir = makeTempDir("rabbitmq");
    const [amqpPort, distPort, epmdPort] = freePorts(3);
    this.port = amqpPort;
    const d = this.dir;
    writeFileSync(
      join(d, "rabbitmq.conf"),
      [`listeners.tcp.1 = 127.0.0.1:${amqpPort}`, "log.console = false", "log.file.level = warning", ""].join(
        "\n",
      ),
    );
    writeFileSync(join(d, "enabled_plugins"), "[].\n");
    // Our own epmd, so that the node registers with nothing shared on the machine.
    const epmd = new ServerProcess({
      cmd: ["epmd", "-address", "127.0.0.1", "-port", String(epmdPort)],
      logFile: join(d, "epmd.log"),
      stopGraceMs: 5_000,
    });
    this.servers.push(epmd);
    const node = `bench-${Math.random().toString(36).slice(2, 10)}@localhost`;
    const server = new ServerProcess({
      cmd: [this.options.serverScript],
      cwd: d,
      env: {
        HOME: d, // the Erlang cookie is created here
        ERL_EPMD_PORT: String(epmdPort),
        ERL_EPMD_ADDRESS: "127.0.0.1",
        RABBITMQ_NODENAME: node,
        RABBITMQ_NODE_PORT: String(amqpPort),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_MNESIA_BASE: join(d, "mnesia"),
        RABBITMQ_LOG_BASE: join(d, "log"),
        RABBITMQ_CONFIG_FILE: join(d, "rabbitmq.conf"),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(d, "enabled_plugins"),
        RABBITMQ_CONF_ENV_FILE: join(d, "rabbitmq-env.conf"),
        RABBITMQ_PID_FILE: join(d, "rabbitmq.pid"),
        // Schedulers sleep instead of spinning when idle, so /proc CPU time is work, not busy-waiting
        // (RabbitMQ's own advice for shared hosts); distribution listens on loopback only.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:
          "+sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}",
      },
      logFile: join(d, "rabbitmq.log"),
      stopGraceMs: 30_000,
    });
    this.servers.push(server);
    await server.waitServing(
      "rabbitmq-server serving AMQP",
      async () => {
        const conn = await connectAmqp(amqpPort);
        try {
          await (await conn.createChannel()).close();
          return true;
        } finally {
          await conn.close();
        }
      },
      this.options.startTimeoutMs,
      20,
    );
    return { startupMs: performance.now() - t0 };
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    await this.declare("w1");
    return this.publishShares<AmqpPublishParams>(jobs, "amqpPublish", n, ctx, this.options, { queue: "w1" });
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    const stream = this.options.queueType === "stream";
    const procs = stream ? 1 : workloadProcesses(ctx, this.options.consumeProcesses);
    const params: AmqpConsumeParams[] = Array.from({ length: procs }, () => ({
      port: this.port,
      queue: "w1",
      prefetch: this.options.prefetch,
      ackEvery: this.options.ackEvery,
      streamOffset: stream ? "first" : undefined,
    }));
    return fanOutConsume(jobs, "amqpConsume", params, n, ctx.window);
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    await this.declare("w3");
    const producerConn = await connectAmqp(this.port);
    const consumerConn = await connectAmqp(this.port);
    try {
      const producer = await producerConn.createConfirmChannel();
      const recorder = new LatencyRecorder(Math.round(rate * seconds));
      const stopConsumer = await consumeAcked(
        await consumerConn.createChannel(),
        {
          queue: "w3",
          prefetch: 200,
          ackEvery: 20,
          streamOffset: this.options.queueType === "stream" ? "next" : undefined,
        },
        (msg) => recorder.receive(msg.content),
        () => {},
      );
      try {
        return await fixedRateWorkload(rate, seconds, ctx, recorder, (body) =>
          publishOne(producer, "w3", Buffer.from(body.buffer, body.byteOffset, body.byteLength)),
        );
      } finally {
        await stopConsumer();
      }
    } finally {
      await Promise.all([producerConn.close(), consumerConn.close()]);
    }
  }

  private async declare(queue: string): Promise<void> {
    const conn: ChannelModel = await connectAmqp(this.port);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true, arguments: { "x-queue-type": this.options.queueType } });
      await ch.close();
    } finally {
      await conn.close();
    }
  }
}

/** The version in the script's library path, e.g. /usr/lib/rabbitmq/lib/rabbitmq_server-3.10.8. */
function rabbitVersion(script: string): string {
  const glob = new Bun.Glob("rabbitmq_server-*");
  const libDir = join(script, "..", "..", "lib");
  try {
    for (const name of glob.scanSync({ cwd: libDir, onlyFiles: false }))
      return name.slice("rabbitmq_server-".length);
  } catch {
    // not installed: start() will fail with the reason
  }
  return "?";
}

export function createRabbitMqTarget(options: Partial<RabbitMqTargetOptions> = {}): RabbitMqTarget {
  return new RabbitMqTarget(options);
}
