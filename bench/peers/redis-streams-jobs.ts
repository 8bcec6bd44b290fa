/** Load-generator jobs for Redis Streams (run in child processes by fanOut). */
import Redis from "ioredis";
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload } from "../harness/index.ts";

export interface RedisPublishParams {
  port: number;
  stream: string;
  n: number;
  messageSize: number;
  /** XADDs per pipeline. */
  batch: number;
  /** Pipelines in flight at once. */
  inFlight: number;
}

export interface RedisConsumeParams {
  port: number;
  stream: string;
  group: string;
  consumer: string;
  /** COUNT of each XREADGROUP. */
  batch: number;
}

/** A client that fails fast instead of retrying, speaking RESP2 so that entriesOf() can parse replies. */
export function connectRedis(port: number): Redis {
  return new Redis({
    host: "127.0.0.1",
    port,
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

/** XREADGROUP's RESP2 reply: [[stream, [[id, [field, value, ...]], ...]]] or null on timeout. */
export function entriesOf(reply: unknown): { id: Buffer; body: Buffer }[] {
  if (reply === null) return [];
  const out: { id: Buffer; body: Buffer }[] = [];
  for (const [, entries] of reply as [Buffer, [Buffer, Buffer[] | null][]][]) {
    for (const [id, fields] of entries) {
      // fields is null for an entry deleted after delivery; there is none in these runs.
      if (fields) out.push({ id, body: fields[1] });
    }
  }
  return out;
}

export const redisPublish: GeneratorJob<RedisPublishParams> = async (p, ctl) => {
  const redis = connectRedis(p.port);
  await redis.connect();
  const body = Buffer.from(makePayload(p.messageSize));
  await ctl.ready();
  let issued = 0;
  let acked = 0;
  const lane = async () => {
    while (issued < p.n) {
      const k = Math.min(p.batch, p.n - issued);
      issued += k;
      const pipeline = redis.pipeline();
      for (let i = 0; i < k; i++) pipeline.xadd(p.stream, "*", "d", body);
      const results = await pipeline.exec();
      for (const [err] of results ?? []) if (err) throw err;
      acked += k;
      ctl.progress(acked);
    }
  };
  await Promise.all(Array.from({ length: p.inFlight }, lane));
  redis.disconnect();
  return { count: acked };
};

export const redisConsume: GeneratorJob<RedisConsumeParams> = async (p, ctl) => {
  const redis = connectRedis(p.port);
  await redis.connect();
  await ctl.ready();
  let count = 0;
  let toAck: Buffer[] = [];
  while (!ctl.stopped) {
    // A message counts once its XACK is answered. That XACK rides in the same round trip as the
    // next read, which then must not block (BLOCK only when nothing is waiting to be acked).
    const pipeline = redis.pipeline();
    if (toAck.length > 0) pipeline.xack(p.stream, p.group, ...toAck);
    const block = toAck.length > 0 ? [] : ["BLOCK", 100];
    pipeline.callBuffer(
      "XREADGROUP",
      "GROUP",
      p.group,
      p.consumer,
      "COUNT",
      p.batch,
      ...block,
      "STREAMS",
      p.stream,
      ">",
    );
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
    if (toAck.length > 0) {
      count += toAck.length;
      ctl.progress(count);
    }
    toAck = entriesOf(results[results.length - 1][1]).map((e) => e.id);
  }
  redis.disconnect();
  return { count };
};
