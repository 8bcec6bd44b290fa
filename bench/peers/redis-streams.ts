/**
 * Redis Streams as a peer: redis-server with an append-only file, XADD to publish, a consumer
 * group with XREADGROUP + XACK to consume, through Bun's built-in RedisClient (see the jobs file).
 */
import { join } from "node:path";
import type { RedisClient } from "bun";
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
import { PeerTarget } from "./peer-target.ts";
import {
  connectRedis,
  entriesOf,
  type RedisConsumeParams,
  type RedisPublishParams,
} from "./redis-streams-jobs.ts";

export interface RedisStreamsTargetOptions {
  appendfsync: "always" | "everysec";
  /** Generator processes (a workload's ctx.processes, when > 0, wins). */
  publishProcesses: number;
  consumeProcesses: number;
  publishInFlight: number;
  consumeBatch: number;
  startTimeoutMs: number;
}

export const defaultRedisStreamsTargetOptions: Readonly<RedisStreamsTargetOptions> = Object.freeze({
  appendfsync: "always",
  publishProcesses: 2,
  consumeProcesses: 1,
  publishInFlight: 2000,
  consumeBatch: 500,
  startTimeoutMs: 30_000,
});

const DURABILITY = {
  always:
    "AOF appendfsync always: replies are sent after the AOF write and fsync of their event-loop round " +
    "(group commit), so an ack survives a process crash and a machine crash.",
  everysec:
    "AOF appendfsync everysec: replies are sent after the AOF write(2) to the page cache; a background " +
    "fsync runs once a second, so an ack survives a process crash, but a machine crash may lose about the " +
    "last 1-2 s.",
} as const;

const jobs = new URL("./redis-streams-jobs.ts", import.meta.url).pathname;

export class RedisStreamsTarget extends PeerTarget {
  readonly name: string;
  readonly system: string;
  readonly durability: string;
  readonly ackSurvives: AckSurvives;
  readonly client: string;
  private readonly options: RedisStreamsTargetOptions;

  constructor(options: Partial<RedisStreamsTargetOptions> = {}) {
    super();
    this.options = { ...defaultRedisStreamsTargetOptions, ...options };
    this.name = `redis-aof-${this.options.appendfsync}`;
    const banner = commandOutputLine(["redis-server", "--version"]);
    this.system = `Redis ${banner.match(/v=(\S+)/)?.[1] ?? "?"} Streams`;
    this.durability = DURABILITY[this.options.appendfsync];
    this.ackSurvives = this.options.appendfsync === "always" ? "machine crash" : "process crash";
    const o = this.options;
    this.client =
      `Bun's built-in RedisClient (auto-pipelined). W1: XADD, ${o.publishInFlight} in flight per process, ` +
      `${o.publishProcesses} processes. W2: XREADGROUP COUNT ${o.consumeBatch}, XACK pipelined with the next ` +
      `read, ${o.consumeProcesses} process${o.consumeProcesses > 1 ? "es" : ""}.`;
  }

  async start(): Promise<StartInfo> {
    this.dir = makeTempDir("redis");
    this.port = freePort();
    const server = new ServerProcess({
      cmd: [
        "redis-server",
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        this.options.appendfsync,
        "--save",
        "",
        "--daemonize",
        "no",
      ],
      logFile: join(this.dir, "redis.log"),
      stopGraceMs: 10_000,
    });
    this.servers.push(server);
    await server.waitServing(
      "redis-server serving",
      async () => {
        const redis = await connectRedis(this.port);
        try {
          return (await redis.send("PING", [])) === "PONG" ? true : undefined;
        } finally {
          redis.close();
        }
      },
      this.options.startTimeoutMs,
      5,
    );
    return { startupMs: performance.now() - server.startedAt };
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    return this.publishShares<RedisPublishParams>(jobs, "redisPublish", n, ctx, this.options, {
      stream: "w1",
    });
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    await this.withClient((r) => r.send("XGROUP", ["CREATE", "w1", "w2", "0"]));
    const procs = workloadProcesses(ctx, this.options.consumeProcesses);
    const params: RedisConsumeParams[] = Array.from({ length: procs }, (_, i) => ({
      port: this.port,
      stream: "w1",
      group: "w2",
      consumer: `c${i}`,
      batch: this.options.consumeBatch,
    }));
    return fanOutConsume(jobs, "redisConsume", params, n, ctx.window);
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    const producer = await connectRedis(this.port);
    const consumer = await connectRedis(this.port);
    await consumer.send("XGROUP", ["CREATE", "w3", "w3", "$", "MKSTREAM"]);
    const recorder = new LatencyRecorder(Math.round(rate * seconds));
    let stopped = false;
    const consuming = (async () => {
      const read = ["GROUP", "w3", "c", "COUNT", "100", "BLOCK", "100", "STREAMS", "w3", ">"];
      while (!stopped) {
        const entries = entriesOf(await consumer.send("XREADGROUP", read), "w3");
        // The client returns field values as text, so the stamp travels in its own fields.
        for (const [, fields] of entries) recorder.receiveStamp(Number(fields[3]), Number(fields[1]));
        if (entries.length > 0) await consumer.send("XACK", ["w3", "w3", ...entries.map((e) => e[0])]);
      }
    })();
    try {
      return await fixedRateWorkload(rate, seconds, ctx, recorder, (body, seq, sentAtMs) =>
        producer.send("XADD", [
          "w3",
          "*",
          "t",
          String(sentAtMs),
          "s",
          String(seq),
          "d",
          Buffer.from(body) as unknown as string,
        ]),
      );
    } finally {
      stopped = true;
      await consuming.catch(() => {});
      producer.close();
      consumer.close();
    }
  }

  private async withClient<T>(fn: (r: RedisClient) => Promise<T>): Promise<T> {
    const redis = await connectRedis(this.port);
    try {
      return await fn(redis);
    } finally {
      redis.close();
    }
  }
}

export function createRedisStreamsTarget(
  options: Partial<RedisStreamsTargetOptions> = {},
): RedisStreamsTarget {
  return new RedisStreamsTarget(options);
}
