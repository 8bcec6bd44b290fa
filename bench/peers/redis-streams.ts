/**
 * Redis Streams as a peer: redis-server with an append-only file, XADD to publish, a consumer
 * group with XREADGROUP + XACK to consume.
 */
import { join } from "node:path";
import type Redis from "ioredis";
import {
  type ClientRun,
  commandOutputLine,
  defaultFanOutTimeoutMs,
  fanOut,
  freePort,
  LatencyRecorder,
  type LatencyRun,
  makeTempDir,
  removeDir,
  runFixedRate,
  ServerProcess,
  type StartInfo,
  shares,
  type Target,
  type WorkloadContext,
  waitUntil,
} from "../harness/index.ts";
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
  publishBatch: number;
  publishInFlight: number;
  consumeBatch: number;
  startTimeoutMs: number;
}

export const defaultRedisStreamsTargetOptions: Readonly<RedisStreamsTargetOptions> = Object.freeze({
  appendfsync: "always",
  publishProcesses: 2,
  consumeProcesses: 2,
  publishBatch: 100,
  publishInFlight: 4,
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

export class RedisStreamsTarget implements Target {
  readonly name: string;
  readonly system: string;
  readonly durability: string;
  private readonly options: RedisStreamsTargetOptions;
  private server: ServerProcess | undefined;
  private dir = "";
  private port = 0;

  constructor(options: Partial<RedisStreamsTargetOptions> = {}) {
    this.options = { ...defaultRedisStreamsTargetOptions, ...options };
    this.name = `redis-aof-${this.options.appendfsync}`;
    const banner = commandOutputLine(["redis-server", "--version"]);
    this.system = `Redis ${banner.match(/v=(\S+)/)?.[1] ?? "?"} Streams`;
    this.durability = DURABILITY[this.options.appendfsync];
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
    this.server = server;
    await waitUntil(
      "redis-server serving",
      async () => {
        const redis = connectRedis(this.port);
        redis.on("error", () => {}); // refused while starting: connect() rejects, the probe retries
        try {
          await redis.connect();
          return (await redis.ping()) === "PONG" ? true : undefined;
        } finally {
          redis.disconnect();
        }
      },
      {
        timeoutMs: this.options.startTimeoutMs,
        intervalMs: 5,
        abortReason: () => (server.exited !== null ? `exited: ${server.tail()}` : undefined),
      },
    );
    return { startupMs: performance.now() - server.startedAt };
  }

  serverPids(): number[] {
    return this.server ? [this.server.pid] : [];
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    const procs = this.processes(ctx, this.options.publishProcesses);
    const params: RedisPublishParams[] = shares(n, procs).map((share) => ({
      port: this.port,
      stream: "w1",
      n: share,
      messageSize: ctx.messageSize,
      batch: this.options.publishBatch,
      inFlight: this.options.publishInFlight,
    }));
    return fanOut({
      module: jobs,
      job: "redisPublish",
      params,
      total: n,
      stopAtTotal: false,
      window: ctx.window,
      timeoutMs: defaultFanOutTimeoutMs,
    });
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    await this.withClient((r) => r.xgroup("CREATE", "w1", "w2", "0"));
    const procs = this.processes(ctx, this.options.consumeProcesses);
    const params: RedisConsumeParams[] = Array.from({ length: procs }, (_, i) => ({
      port: this.port,
      stream: "w1",
      group: "w2",
      consumer: `c${i}`,
      batch: this.options.consumeBatch,
    }));
    return fanOut({
      module: jobs,
      job: "redisConsume",
      params,
      total: n,
      stopAtTotal: true,
      window: ctx.window,
      timeoutMs: defaultFanOutTimeoutMs,
    });
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    const producer = connectRedis(this.port);
    const consumer = connectRedis(this.port);
    await Promise.all([producer.connect(), consumer.connect()]);
    await consumer.xgroup("CREATE", "w3", "w3", "$", "MKSTREAM");
    const recorder = new LatencyRecorder(Math.round(rate * seconds));
    let stopped = false;
    const consuming = (async () => {
      while (!stopped) {
        const reply = await consumer.callBuffer(
          "XREADGROUP",
          "GROUP",
          "w3",
          "c",
          "COUNT",
          100,
          "BLOCK",
          100,
          "STREAMS",
          "w3",
          ">",
        );
        const entries = entriesOf(reply);
        for (const e of entries) recorder.receive(e.body);
        if (entries.length > 0) await consumer.xack("w3", "w3", ...entries.map((e) => e.id));
      }
    })();
    try {
      return await runFixedRate({
        rate,
        seconds,
        messageSize: ctx.messageSize,
        recorder,
        window: ctx.window,
        drainMs: 10_000,
        send: (body) =>
          producer.xadd("w3", "*", "d", Buffer.from(body.buffer, body.byteOffset, body.byteLength)),
      });
    } finally {
      stopped = true;
      await consuming.catch(() => {});
      producer.disconnect();
      consumer.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    if (this.dir) removeDir(this.dir);
    this.dir = "";
  }

  private processes(ctx: WorkloadContext, fallback: number): number {
    return ctx.processes > 0 ? ctx.processes : fallback;
  }

  private async withClient<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    const redis = connectRedis(this.port);
    await redis.connect();
    try {
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  }
}

export function createRedisStreamsTarget(
  options: Partial<RedisStreamsTargetOptions> = {},
): RedisStreamsTarget {
  return new RedisStreamsTarget(options);
}
