/**
 * Load-generator jobs for NATS JetStream (run in child processes by fanOut). They speak JetStream
 * through core NATS, as the fast clients do, instead of nats.js's per-message promises, timers
 * and message objects (which cost several times the server's CPU per message):
 * - publish: a plain publish to the stream's subject with a reply subject; the server answers each
 *   stored message with a PubAck ({"stream":..,"seq":..}) or an error ({"error":..}) there;
 * - consume: pull requests to $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>; every delivered
 *   message is acked with "+ACK" on its reply subject (AckExplicit).
 * The target's W3 uses the same two pieces (createAckedPublisher, startPuller).
 */
import { connect, createInbox, type Msg, type NatsConnection } from "nats";
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

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const LETTER_E = 0x65;

/** True for a JetStream API error reply ({"error":...}), without parsing the JSON. */
export function isJsError(data: Uint8Array): boolean {
  return data[0] === OPEN_BRACE && data[1] === QUOTE && data[2] === LETTER_E;
}

export const natsPublish: GeneratorJob<NatsPublishParams> = async (p, ctl) => {
  const nc = await connectNats(p.port);
  const body = makePayload(p.messageSize);
  const reply = createInbox();
  let issued = 0;
  let acked = 0;
  let failure: Error | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const pump = () => {
    while (issued < p.n && issued - acked < p.inFlight) {
      issued++;
      nc.publish(p.subject, body, { reply });
    }
  };
  nc.subscribe(reply, {
    callback: (err, msg) => {
      if (err || isJsError(msg.data)) {
        failure ??= err ?? new Error(`PubAck error: ${new TextDecoder().decode(msg.data)}`);
        finish();
        return;
      }
      acked++;
      ctl.progress(acked);
      if (acked === p.n) finish();
      else pump();
    },
  });
  await nc.flush();
  await ctl.ready();
  pump();
  await finished;
  await nc.close();
  if (failure) throw failure;
  return { count: acked };
};

const ACK = new TextEncoder().encode("+ACK");

/**
 * Keeps pull requests for `batch` messages outstanding on a durable consumer (a second one goes
 * out when the first is half used, so the server never waits for the client) and acks every
 * message after handing it to onMessage. stop() ends the pulling; in-flight deliveries still arrive.
 */
export function startPuller(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  batch: number,
  onMessage: (msg: Msg) => void,
): { stop(): void } {
  const inbox = createInbox();
  const next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
  // Each pull expires after 1 s (the field is in ns) when the stream runs dry, then is renewed.
  const request = new TextEncoder().encode(JSON.stringify({ batch, expires: 1_000_000_000 }));
  let stopped = false;
  let owed = 0; // messages requested and not yet delivered
  const pull = () => {
    if (stopped) return;
    nc.publish(next, request, { reply: inbox });
    owed += batch;
  };
  nc.subscribe(inbox, {
    callback: (_err, msg) => {
      if (!msg.reply) {
        // A status message (404 no messages, 408 request expired): that pull is over.
        owed = 0;
        pull();
        return;
      }
      onMessage(msg);
      msg.respond(ACK);
      if (--owed <= batch / 2) pull();
    },
  });
  pull();
  pull();
  return {
    stop() {
      stopped = true;
    },
  };
}

/**
 * JetStream publish whose promise settles on the message's own PubAck: each publish carries a
 * reply subject <inbox>.<n>, and one wildcard subscription settles the matching promise.
 */
export function createAckedPublisher(
  nc: NatsConnection,
): (subject: string, body: Uint8Array) => Promise<void> {
  const inbox = createInbox();
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  let n = 0;
  nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      const w = waiting.get(msg.subject);
      if (!w) return;
      waiting.delete(msg.subject);
      if (err || isJsError(msg.data))
        w.reject(err ?? new Error(`PubAck error: ${new TextDecoder().decode(msg.data)}`));
      else w.resolve();
    },
  });
  return (subject, body) =>
    new Promise<void>((resolve, reject) => {
      const reply = `${inbox}.${n++}`;
      waiting.set(reply, { resolve, reject });
      nc.publish(subject, body, { reply });
    });
}

export const natsConsume: GeneratorJob<NatsConsumeParams> = async (p, ctl) => {
  const nc = await connectNats(p.port);
  await ctl.ready();
  let count = 0;
  const puller = startPuller(nc, p.stream, p.consumer, p.batch, () => {
    count++;
    ctl.progress(count);
  });
  await ctl.stop;
  puller.stop();
  await nc.flush();
  await nc.close();
  return { count };
};
