/** Load-generator jobs for NATS JetStream (run in child processes by fanOut). */
import { connect, type NatsConnection } from "nats";
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload } from "../harness/index.ts";

export interface NatsPublishParams {
  port: number;
  subject: string;
  n: number;
  messageSize: number;
  /** Publishes awaiting their PubAck at once. */
  inFlight: number;
}

export interface NatsConsumeParams {
  port: number;
  stream: string;
  consumer: string;
  /** Messages per pull request. */
  batch: number;
}

export function connectNats(port: number): Promise<NatsConnection> {
  return connect({ servers: `127.0.0.1:${port}`, reconnect: false });
}

export const natsPublish: GeneratorJob<NatsPublishParams> = async (p, ctl) => {
  const nc = await connectNats(p.port);
  const js = nc.jetstream();
  const body = makePayload(p.messageSize);
  await ctl.ready();
  let issued = 0;
  let acked = 0;
  // Each lane publishes and waits for its PubAck, so inFlight publishes are outstanding at once.
  const lane = async () => {
    while (issued < p.n) {
      issued++;
      await js.publish(p.subject, body);
      acked++;
      ctl.progress(acked);
    }
  };
  await Promise.all(Array.from({ length: p.inFlight }, lane));
  await nc.close();
  return { count: acked };
};

export const natsConsume: GeneratorJob<NatsConsumeParams> = async (p, ctl) => {
  const nc = await connectNats(p.port);
  const consumer = await nc.jetstream().consumers.get(p.stream, p.consumer);
  await ctl.ready();
  let count = 0;
  const messages = await consumer.consume({ max_messages: p.batch });
  ctl.stop.then(() => messages.stop());
  for await (const m of messages) {
    m.ack();
    count++;
    ctl.progress(count);
  }
  await nc.close();
  return { count };
};
