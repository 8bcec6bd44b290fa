/**
 * bunmq through the proxy: gRPC (HTTP/2) or Connect (HTTP/1.1) in front of a broker in the proxy's process
 * (Local mode) or of a separate broker reached over remoting (Cluster mode, with a nameserver). W1 sends
 * SendMessage (one or several messages per request), W2 receives with ReceiveMessage and acks each batch with
 * AckMessage, W3 sends one message per SendMessage and long-polls ReceiveMessage.
 */

import { Code } from "../../proto/v2.ts";
import {
  type ClientRun,
  fanOutConsume,
  fanOutPublish,
  fixedRateWorkload,
  LatencyRecorder,
  type LatencyRun,
  shares,
  type WorkloadContext,
  waitUntil,
  workloadProcesses,
} from "../harness/index.ts";
import { bunmqVersion } from "./durability.ts";
import { GrpcChannel } from "./grpc-client.ts";
import {
  openTransport,
  type ProxyConsumeParams,
  type ProxyProtocol,
  type ProxyPublishParams,
} from "./proxy-jobs.ts";
import { createGroup, createTopic } from "./remoting-admin.ts";
import { ack, queryRoute, type RpcTransport, receive, sendOne } from "./rpc.ts";
import type { SdkPublishParams } from "./sdk-jobs.ts";
import type { FlushDiskType } from "./stack.ts";
import { StackTarget } from "./stack-target.ts";

export type ProxyMode = "local" | "cluster";

export interface ProxyTargetOptions {
  mode: ProxyMode;
  protocol: ProxyProtocol;
  flushDiskType: FlushDiskType;
  /** Messages per SendMessage request in W1. */
  batch: number;
  queues: number;
  publishProcesses: number;
  consumeProcesses: number;
  /** SendMessage calls in flight per publishing process. */
  publishInFlight: number;
  /** ReceiveMessage calls in flight per consuming process. */
  receivers: number;
  /** ReceiveMessage batch_size (the proxy's maxReceiveBatchSize is 32). */
  receiveBatch: number;
  /** Extra Bun flags for the server processes (profiling). */
  runtimeFlags: string[];
}

export const defaultProxyTargetOptions: Readonly<ProxyTargetOptions> = Object.freeze({
  mode: "local",
  protocol: "grpc",
  flushDiskType: "ASYNC_FLUSH",
  batch: 1,
  queues: 8,
  publishProcesses: 2,
  consumeProcesses: 1,
  publishInFlight: 256,
  receivers: 8,
  receiveBatch: 32,

  runtimeFlags: [],
});

const jobs = new URL("./proxy-jobs.ts", import.meta.url).pathname;
const sdkJobs = new URL("./sdk-jobs.ts", import.meta.url).pathname;

export class ProxyTarget extends StackTarget {
  readonly name: string;
  readonly system: string;
  readonly client: string;
  readonly options: ProxyTargetOptions;

  constructor(options: Partial<ProxyTargetOptions> = {}) {
    const o = { ...defaultProxyTargetOptions, ...options };
    super({
      layout: o.mode === "local" ? "proxy-local" : "proxy-cluster",
      flushDiskType: o.flushDiskType,
      runtimeFlags: o.runtimeFlags,
    });
    this.options = o;
    const sync = o.flushDiskType === "SYNC_FLUSH" ? "-sync" : "";
    this.name = `bunmq-${o.protocol}-${o.mode}${sync}${o.batch > 1 ? `-batch${o.batch}` : ""}`;
    const wire = o.protocol === "grpc" ? "gRPC" : "Connect over HTTP/1.1";
    this.system = `bunmq ${bunmqVersion()} (proxy ${o.mode === "local" ? "Local" : "Cluster"} mode, ${wire}, ${o.flushDiskType})`;
    const transport =
      o.protocol === "grpc"
        ? "a lean h2c client (bench/targets/h2-pipe.ts: cached HPACK header block, one write per event-loop turn) " +
          "with gRPC framing on the generated apache.rocketmq.v2 schemas, one HTTP/2 connection per process"
        : "Bun's fetch with the Connect protocol (application/proto, HTTP/1.1 keep-alive) on the generated schemas";
    const send = o.batch > 1 ? `SendMessage of ${o.batch} messages` : "SendMessage of one message";
    this.client =
      `${transport}, ${o.queues} queues. W1: ${send}, ${o.publishInFlight} calls in flight per process, ` +
      `${o.publishProcesses} processes. W2: ReceiveMessage batch_size ${o.receiveBatch}, ${o.receivers} in flight, ` +
      `one AckMessage per batch, ${o.consumeProcesses} process${o.consumeProcesses > 1 ? "es" : ""}. W3: one ` +
      "SendMessage per message, long-polling ReceiveMessage.";
  }

  private get port(): number {
    const a = this.stack.addresses;
    return this.options.protocol === "grpc" ? a.grpcPort : a.httpPort;
  }

  /**
   * A topic and a group, made on the broker over remoting; then QueryRoute is asked until the proxy routes the
   * topic (in Cluster mode the broker registers it with the nameserver a moment later).
   */
  private async prepare(topic: string, group?: string): Promise<void> {
    const { broker, grpcPort } = this.stack.addresses;
    await createTopic(broker, topic, this.options.queues);
    if (group) await createGroup(broker, group);
    const channel = new GrpcChannel(grpcPort);
    try {
      await waitUntil(
        `the proxy routes ${topic}`,
        async () =>
          (await queryRoute(channel, topic, grpcPort)).status?.code === Code.OK ? true : undefined,
        { timeoutMs: 10_000, intervalMs: 20 },
      );
    } finally {
      channel.close();
    }
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    this.round++;
    const o = this.options;
    const topic = this.topic("w1");
    await this.prepare(topic);
    const procs = workloadProcesses(ctx, o.publishProcesses);
    const params: ProxyPublishParams[] = shares(n, procs).map((share, i) => ({
      protocol: o.protocol,
      port: this.port,
      topic,
      n: share,
      messageSize: ctx.messageSize,
      inFlight: o.publishInFlight,
      batch: o.batch,
      clientTag: (process.pid << 8) + i,
    }));
    return fanOutPublish(jobs, "proxyPublish", params, n, ctx.window);
  }

  /**
   * W1 through the official Node SDK (gRPC only), one process: a smaller run beside the lean generator's, since
   * the SDK spends several times the server's CPU per send.
   */
  async publishWithSdk(n: number, inFlight: number, ctx: WorkloadContext): Promise<ClientRun> {
    if (this.options.protocol !== "grpc") throw new Error("the official SDK speaks gRPC only");
    this.round++;
    const topic = this.topic("sdk");
    await this.prepare(topic);
    const params: SdkPublishParams[] = [
      {
        endpoints: `127.0.0.1:${this.stack.addresses.grpcPort}`,
        topic,
        n,
        messageSize: ctx.messageSize,
        inFlight,
      },
    ];
    return fanOutPublish(sdkJobs, "sdkPublish", params, n, ctx.window);
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    const o = this.options;
    const topic = this.topic("w1");
    const group = `bench-w2-${this.round}`;
    await this.prepare(topic, group);
    const procs = workloadProcesses(ctx, o.consumeProcesses);
    const params: ProxyConsumeParams[] = Array.from({ length: procs }, () => ({
      protocol: o.protocol,
      port: this.port,
      topic,
      group,
      receivers: o.receivers,
      batchSize: o.receiveBatch,
    }));
    return fanOutConsume(jobs, "proxyConsume", params, n, ctx.window);
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    const o = this.options;
    const topic = this.topic(`w3-${++this.latencyRuns}`);
    const group = `${topic}-g`;
    await this.prepare(topic, group);
    const producer = await openTransport(o.protocol, this.port);
    const consumer = await openTransport(o.protocol, this.port);
    const recorder = new LatencyRecorder(Math.round(rate * seconds));
    let stopped = false;
    let failure: unknown;
    const receivers = Array.from({ length: 4 }, () =>
      receiveLoop(consumer, group, topic, recorder, () => stopped).catch((err) => {
        if (!stopped) failure ??= err;
      }),
    );
    const idPrefix = `01${process.pid.toString(16).toUpperCase().padStart(8, "0")}${Date.now().toString(16).toUpperCase().padStart(16, "0")}`;
    try {
      const run = await fixedRateWorkload(rate, seconds, ctx, recorder, (body, seq) =>
        sendOne(producer, topic, body, `${idPrefix}${seq.toString(16).toUpperCase().padStart(8, "0")}`),
      );
      if (failure) throw failure;
      return run;
    } finally {
      stopped = true;
      consumer.close();
      await Promise.allSettled(receivers);
      producer.close();
    }
  }
}

async function receiveLoop(
  t: RpcTransport,
  group: string,
  topic: string,
  recorder: LatencyRecorder,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    const got = await receive(t, { group, topic, batchSize: 32, invisibleMs: 60_000, longPollingMs: 5000 });
    for (const m of got) recorder.receive(m.body);
    if (got.length > 0) await ack(t, group, topic, got);
  }
}

export function createProxyTarget(options: Partial<ProxyTargetOptions> = {}): ProxyTarget {
  return new ProxyTarget(options);
}
