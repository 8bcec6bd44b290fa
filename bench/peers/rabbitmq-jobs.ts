/** Load-generator jobs for RabbitMQ over AMQP 0-9-1 (run in child processes by fanOut). */
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload } from "../harness/index.ts";

export interface AmqpPublishParams {
  port: number;
  queue: string;
  n: number;
  messageSize: number;
  /** Publishes awaiting their confirm at once. */
  inFlight: number;
}

export interface AmqpConsumeParams {
  port: number;
  queue: string;
  prefetch: number;
  /** Acknowledge with multiple=true once this many deliveries are pending (or after 5 ms). */
  ackEvery: number;
  /** Stream queues: where to start reading ("first"); undefined for classic and quorum queues. */
  streamOffset?: string;
}

export function connectAmqp(port: number): Promise<ChannelModel> {
  return amqplib.connect({ hostname: "127.0.0.1", port, username: "guest", password: "guest" });
}

/**
 * Publishes n persistent messages on a confirm channel, keeping `inFlight` unconfirmed; `progress`
 * is called with the count confirmed so far. Resolves when all n are confirmed.
 */
export function publishConfirmed(
  ch: ConfirmChannel,
  queue: string,
  body: Buffer,
  n: number,
  inFlight: number,
  progress: (acked: number) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      ch.off("error", fail);
      reject(err instanceof Error ? err : new Error(`publish nacked: ${String(err)}`));
    };
    let issued = 0;
    let acked = 0;
    let waitingForDrain = false;
    const pump = () => {
      while (issued < n && issued - acked < inFlight && !waitingForDrain) {
        issued++;
        const writable = ch.sendToQueue(queue, body, { persistent: true }, (err: unknown) => {
          if (err) return fail(err);
          acked++;
          progress(acked);
          if (acked === n) {
            ch.off("error", fail);
            resolve(acked);
          } else pump();
        });
        if (!writable) {
          waitingForDrain = true;
          ch.once("drain", () => {
            waitingForDrain = false;
            pump();
          });
        }
      }
    };
    ch.on("error", fail);
    pump();
  });
}

/** One persistent publish; resolves on its confirm (the W3 producer). */
export function publishOne(ch: ConfirmChannel, queue: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.sendToQueue(queue, body, { persistent: true }, (err: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(`publish nacked: ${String(err)}`)) : resolve(),
    );
  });
}

export const amqpPublish: GeneratorJob<AmqpPublishParams> = async (p, ctl) => {
  const conn = await connectAmqp(p.port);
  const ch = await conn.createConfirmChannel();
  const body = Buffer.from(makePayload(p.messageSize));
  await ctl.ready();
  const acked = await publishConfirmed(ch, p.queue, body, p.n, p.inFlight, (a) => ctl.progress(a));
  await conn.close();
  return { count: acked };
};

/**
 * Consumes with a prefetch window and multiple-acks; onAcked gets the running count of acked
 * messages. Returns a function that flushes pending acks and cancels the consumer.
 */
export async function consumeAcked(
  ch: Channel,
  p: Omit<AmqpConsumeParams, "port">,
  onDelivery: (msg: ConsumeMessage) => void,
  onAcked: (count: number) => void,
): Promise<() => Promise<void>> {
  await ch.prefetch(p.prefetch);
  let last: ConsumeMessage | undefined;
  let pending = 0;
  let acked = 0;
  const flush = () => {
    if (!last || pending === 0) return;
    ch.ack(last, true);
    acked += pending;
    pending = 0;
    onAcked(acked);
  };
  const timer = setInterval(flush, 5);
  const args = p.streamOffset === undefined ? undefined : { "x-stream-offset": p.streamOffset };
  const { consumerTag } = await ch.consume(
    p.queue,
    (msg) => {
      if (!msg) return; // cancelled by the server
      onDelivery(msg);
      last = msg;
      if (++pending >= p.ackEvery) flush();
    },
    { noAck: false, arguments: args },
  );
  return async () => {
    clearInterval(timer);
    flush();
    await ch.cancel(consumerTag);
  };
}

export const amqpConsume: GeneratorJob<AmqpConsumeParams> = async (p, ctl) => {
  const conn = await connectAmqp(p.port);
  const ch = await conn.createChannel();
  await ctl.ready();
  let count = 0;
  const stop = await consumeAcked(
    ch,
    p,
    () => {},
    (acked) => {
      count = acked;
      ctl.progress(acked);
    },
  );
  await ctl.stop;
  await stop();
  await conn.close();
  return { count };
};
