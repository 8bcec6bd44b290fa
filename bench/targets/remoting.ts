/**
 * bunmq through the remoting protocol: a nameserver and a broker, each `bun bin/<role>.ts` in its own process.
 * W1 publishes with SEND_MESSAGE_V2 (or SEND_BATCH_MESSAGE), W2 pulls every queue with PULL_MESSAGE, W3 sends
 * one SEND_MESSAGE_V2 per message and long-polls every queue.
 */

import { decodeMessageRecord } from "../../proto/message/index.ts";
import { createRemotingClient, createRequest, type RemotingClient } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import {
  type ClientRun,
  fanOutConsume,
  fanOutPublish,
  fixedRateWorkload,
  LatencyRecorder,
  type LatencyRun,
  shares,
  type WorkloadContext,
  workloadProcesses,
} from "../harness/index.ts";
import { bunmqVersion } from "./durability.ts";
import { createTopic } from "./remoting-admin.ts";
import type { RemotingConsumeParams, RemotingPublishParams } from "./remoting-jobs.ts";
import { pullHeader } from "./remoting-messages.ts";
import type { FlushDiskType } from "./stack.ts";
import { StackTarget } from "./stack-target.ts";

export interface RemotingTargetOptions {
  flushDiskType: FlushDiskType;
  /** Messages per publish request: 1 = SEND_MESSAGE_V2, more = SEND_BATCH_MESSAGE. */
  batch: number;
  queues: number;
  publishProcesses: number;
  consumeProcesses: number;
  /** Requests in flight per publishing process. */
  publishInFlight: number;
  maxMsgNums: number;
  /** Extra Bun flags for the server processes (profiling). */
  runtimeFlags: string[];
}

export const defaultRemotingTargetOptions: Readonly<RemotingTargetOptions> = Object.freeze({
  flushDiskType: "ASYNC_FLUSH",
  batch: 1,
  queues: 8,
  publishProcesses: 2,
  consumeProcesses: 1,
  publishInFlight: 1024,
  maxMsgNums: 32,

  runtimeFlags: [],
});

const jobs = new URL("./remoting-jobs.ts", import.meta.url).pathname;

export class RemotingTarget extends StackTarget {
  readonly name: string;
  readonly system: string;
  readonly client: string;
  readonly options: RemotingTargetOptions;

  constructor(options: Partial<RemotingTargetOptions> = {}) {
    const o = { ...defaultRemotingTargetOptions, ...options };
    super({ layout: "remoting", flushDiskType: o.flushDiskType, runtimeFlags: o.runtimeFlags });
    this.options = o;
    const flush = o.flushDiskType === "SYNC_FLUSH" ? "sync" : "async";
    this.name = `bunmq-remoting-${flush}${o.batch > 1 ? `-batch${o.batch}` : ""}`;
    this.system = `bunmq ${bunmqVersion()} (remoting, ${o.flushDiskType})`;
    const send = o.batch > 1 ? `SEND_BATCH_MESSAGE of ${o.batch} messages` : "SEND_MESSAGE_V2";
    this.client =
      `bunmq's remoting codecs (proto/remoting), ROCKETMQ binary headers, ${o.queues} queues. W1: ${send}, ` +
      `${o.publishInFlight} requests in flight per process, pre-encoded frames, writes coalesced per event-loop ` +
      `turn, ${o.publishProcesses} processes. W2: PULL_MESSAGE maxMsgNums ${o.maxMsgNums}, one pull in flight ` +
      `per queue, offset committed with the next pull, ${o.consumeProcesses} process` +
      `${o.consumeProcesses > 1 ? "es" : ""}. W3: remoting client, one SEND_MESSAGE_V2 per message, long-polling ` +
      "pulls.";
  }

  async publish(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    this.round++;
    const o = this.options;
    const topic = this.topic("w1");
    await createTopic(this.stack.addresses.broker, topic, o.queues);
    const procs = workloadProcesses(ctx, o.publishProcesses);
    const params: RemotingPublishParams[] = shares(n, procs).map((share, i) => ({
      addr: this.stack.addresses.broker,
      topic,
      queues: o.queues,
      n: share,
      messageSize: ctx.messageSize,
      inFlight: o.publishInFlight,
      batch: o.batch,
      clientTag: (process.pid << 8) + i,
    }));
    return fanOutPublish(jobs, "remotingPublish", params, n, ctx.window);
  }

  async consume(n: number, ctx: WorkloadContext): Promise<ClientRun> {
    const o = this.options;
    const procs = Math.min(o.queues, workloadProcesses(ctx, o.consumeProcesses));
    const params: RemotingConsumeParams[] = Array.from({ length: procs }, (_, i) => ({
      addr: this.stack.addresses.broker,
      topic: this.topic("w1"),
      queueIds: Array.from({ length: o.queues }, (_, q) => q).filter((q) => q % procs === i),
      maxMsgNums: o.maxMsgNums,
    }));
    return fanOutConsume(jobs, "remotingConsume", params, n, ctx.window);
  }

  async latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun> {
    const o = this.options;
    const addr = this.stack.addresses.broker;
    const topic = this.topic(`w3-${++this.latencyRuns}`);
    await createTopic(addr, topic, o.queues);
    const producer = createRemotingClient({ serializeType: "ROCKETMQ" });
    const consumer = createRemotingClient({ serializeType: "ROCKETMQ", requestTimeoutMs: 10_000 });
    const recorder = new LatencyRecorder(Math.round(rate * seconds));
    let stopped = false;
    let failure: unknown;
    const consuming = Array.from({ length: o.queues }, (_, q) =>
      longPoll(consumer, addr, topic, q, recorder, () => stopped).catch((err) => {
        if (!stopped) failure ??= err;
      }),
    );
    let next = 0;
    try {
      const run = await fixedRateWorkload(rate, seconds, ctx, recorder, async (body) => {
        const r = await producer.invoke(
          addr,
          createRequest(
            RequestCode.SEND_MESSAGE_V2,
            {
              a: "bench-producer",
              b: topic,
              c: "TBW102",
              d: 8,
              e: next++ % o.queues,
              f: 0,
              g: Date.now(),
              h: 0,
              i: "WAIT\u0001true\u0002",
              j: 0,
              k: false,
            },
            body,
          ),
        );
        if (r.code !== ResponseCode.SUCCESS)
          throw new Error(`SEND_MESSAGE_V2: code ${r.code} ${r.remark ?? ""}`);
      });
      if (failure) throw failure;
      return run;
    } finally {
      stopped = true;
      await consumer.close();
      await Promise.allSettled(consuming);
      await producer.close();
    }
  }
}

/** Long-polls one queue until stopped, feeding every message body to the recorder. */
async function longPoll(
  client: RemotingClient,
  addr: string,
  topic: string,
  queueId: number,
  recorder: LatencyRecorder,
  stopped: () => boolean,
): Promise<void> {
  let offset = 0;
  let committed = 0;
  while (!stopped()) {
    const commit = offset > committed;
    const r = await client.invoke(
      addr,
      createRequest(
        RequestCode.PULL_MESSAGE,
        pullHeader({
          topic,
          queueId,
          queueOffset: offset,
          maxMsgNums: 32,
          ...(commit ? { commitOffset: offset } : {}),
          suspendMs: 1000,
        }),
      ),
      12_000,
    );
    if (commit) committed = offset;
    const nextBegin = Number(r.extFields.nextBeginOffset);
    if (r.code === ResponseCode.SUCCESS && r.body) {
      for (let at = 0; at < r.body.length; ) {
        const m = decodeMessageRecord(r.body, at);
        recorder.receive(m.body);
        at += m.storeSize;
      }
    }
    if (Number.isFinite(nextBegin)) offset = nextBegin;
  }
}

export function createRemotingTarget(options: Partial<RemotingTargetOptions> = {}): RemotingTarget {
  return new RemotingTarget(options);
}
