/**
 * Load-generator jobs for the proxy targets (run in child processes by fanOut), on gRPC (HTTP/2, one session
 * per process, many calls in flight on it) or Connect (HTTP/1.1 keep-alive connections, one call in flight
 * each). Publish: SendMessage with one or several messages per request. Consume: ReceiveMessage (a pop of up to
 * batchSize messages) and one AckMessage per received batch; a message counts once its ack is answered.
 */
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload } from "../harness/index.ts";
import { ConnectClient } from "./connect-client.ts";
import { H2Pipe } from "./h2-pipe.ts";
import { ack, type Received, type RpcTransport, receive, sendFromTemplate, sendTemplate } from "./rpc.ts";
import { IdStamper } from "./unique-ids.ts";

export type ProxyProtocol = "grpc" | "connect";

export interface ProxyPublishParams {
  protocol: ProxyProtocol;
  /** gRPC or HTTP port, per protocol. */
  port: number;
  topic: string;
  n: number;
  messageSize: number;
  /** SendMessage calls awaiting their response at once. */
  inFlight: number;
  /** Messages per SendMessage request. */
  batch: number;
  clientTag: number;
}

export interface ProxyConsumeParams {
  protocol: ProxyProtocol;
  port: number;
  topic: string;
  group: string;
  /** ReceiveMessage calls in flight at once. */
  receivers: number;
  batchSize: number;
}

export async function openTransport(protocol: ProxyProtocol, port: number): Promise<RpcTransport> {
  if (protocol === "connect") return new ConnectClient(port);
  return H2Pipe.open(port);
}

export const proxyPublish: GeneratorJob<ProxyPublishParams> = async (p, ctl) => {
  const t = await openTransport(p.protocol, p.port);
  const body = makePayload(p.messageSize);
  const full = sendTemplate(p.topic, body, p.batch);
  const ids = new IdStamper(p.clientTag);
  await ctl.ready();
  let issued = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    let calls = 0;
    const pump = () => {
      while (issued < p.n && calls < p.inFlight) {
        const template = p.n - issued >= p.batch ? full : sendTemplate(p.topic, body, p.n - issued);
        issued += template.messages;
        calls++;
        sendFromTemplate(t, template, ids).then((stored) => {
          calls--;
          acked += stored;
          ctl.progress(acked);
          if (acked >= p.n) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  t.close();
  return { count: acked };
};

export const proxyConsume: GeneratorJob<ProxyConsumeParams> = async (p, ctl) => {
  const t = await openTransport(p.protocol, p.port);
  await ctl.ready();
  let count = 0;
  const receiver = async () => {
    let acking: Promise<void> = Promise.resolve();
    while (!ctl.stopped) {
      let got: Received[];
      try {
        got = await receive(t, {
          group: p.group,
          topic: p.topic,
          batchSize: p.batchSize,
          invisibleMs: 60_000,
          longPollingMs: 5000,
        });
      } catch (err) {
        if (ctl.stopped) break;
        throw err;
      }
      // The ack of this batch overlaps the next receive; at most one ack is outstanding per receiver.
      await acking;
      if (got.length > 0) {
        acking = ack(t, p.group, p.topic, got).then(() => {
          count += got.length;
          ctl.progress(count);
        });
      }
    }
    await acking;
  };
  const receivers = Array.from({ length: p.receivers }, receiver);
  // A long poll still open when the total is reached would hold the process: closing the transport ends it.
  await Promise.race([Promise.all(receivers), ctl.stop.then(() => t.close())]);
  await Promise.allSettled(receivers);
  t.close();
  return { count };
};
