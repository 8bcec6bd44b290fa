/**
 * Load-generator jobs for the remoting targets (run in child processes by fanOut). Publish: SEND_MESSAGE_V2 or
 * SEND_BATCH_MESSAGE through a SendPipe, many requests in flight, round-robin over the topic's queues. Consume:
 * PULL_MESSAGE through bunmq's remoting client, one pull in flight per queue; a message counts once the offset
 * commit that covers it (carried by the next pull, as a Java pull consumer does) is answered.
 */

import { createRemotingClient, createRequest } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload } from "../harness/index.ts";
import { batchSendTemplates, countRecords, pullHeader, singleSendTemplates } from "./remoting-messages.ts";
import { SendPipe } from "./send-pipe.ts";

export interface RemotingPublishParams {
  addr: string;
  topic: string;
  queues: number;
  /** Messages this process publishes. */
  n: number;
  messageSize: number;
  /** Requests awaiting their response at once. */
  inFlight: number;
  /** Messages per request: 1 = SEND_MESSAGE_V2, more = SEND_BATCH_MESSAGE. */
  batch: number;
  /** Distinct per process (goes into the UNIQ_KEYs). */
  clientTag: number;
}

export interface RemotingConsumeParams {
  addr: string;
  topic: string;
  /** The queue ids this process reads. */
  queueIds: number[];
  maxMsgNums: number;
}

export const remotingPublish: GeneratorJob<RemotingPublishParams> = async (p, ctl) => {
  const body = makePayload(p.messageSize);
  const single = singleSendTemplates(p.topic, p.queues, body);
  const batched = p.batch > 1 ? batchSendTemplates(p.topic, p.queues, body, p.batch) : single;
  let acked = 0;
  let issued = 0;
  let request = 0;
  let fail: (err: Error) => void = () => {};
  let done: () => void = () => {};
  let pump = () => {};
  const pipe = await SendPipe.open({
    addr: p.addr,
    clientTag: p.clientTag,
    onAcked(messages) {
      acked += messages;
      ctl.progress(acked);
      if (acked === p.n) done();
      else pump();
    },
    onError: (err) => fail(err),
  });
  await ctl.ready();
  await new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
    pump = () => {
      while (issued < p.n && pipe.pending < p.inFlight) {
        const left = p.n - issued;
        // The tail that does not fill a batch goes as single messages.
        const templates = left >= p.batch ? batched : single;
        const t = templates[request++ % p.queues]!;
        pipe.send(t);
        issued += t.messages;
      }
    };
    pump();
  });
  pipe.close();
  return { count: acked };
};

export const remotingConsume: GeneratorJob<RemotingConsumeParams> = async (p, ctl) => {
  const client = createRemotingClient({ serializeType: "ROCKETMQ", requestTimeoutMs: 10_000 });
  await client.connection(p.addr);
  await ctl.ready();
  let count = 0;
  const readQueue = async (queueId: number) => {
    let offset = 0;
    let uncommitted = 0;
    let committed = 0;
    while (!ctl.stopped) {
      const commit = offset > committed;
      // Long-poll only when nothing waits to be committed, so a commit is never held back.
      const suspendMs = commit ? 0 : 500;
      const request = createRequest(
        RequestCode.PULL_MESSAGE,
        pullHeader({
          topic: p.topic,
          queueId,
          queueOffset: offset,
          maxMsgNums: p.maxMsgNums,
          ...(commit ? { commitOffset: offset } : {}),
          suspendMs,
        }),
      );
      let r: Awaited<ReturnType<typeof client.invoke>>;
      try {
        r = await client.invoke(p.addr, request, suspendMs + 10_000);
      } catch (err) {
        if (ctl.stopped) return;
        throw err;
      }
      if (commit) {
        count += uncommitted;
        uncommitted = 0;
        committed = Number(request.extFields.commitOffset);
        ctl.progress(count);
      }
      const next = Number(r.extFields.nextBeginOffset);
      switch (r.code) {
        case ResponseCode.SUCCESS:
          uncommitted += countRecords(r.body);
          offset = next;
          break;
        case ResponseCode.PULL_NOT_FOUND:
        case ResponseCode.PULL_RETRY_IMMEDIATELY:
        case ResponseCode.PULL_OFFSET_MOVED:
          if (Number.isFinite(next)) offset = next;
          break;
        default:
          throw new Error(`PULL_MESSAGE queue ${queueId} at ${offset}: code ${r.code} ${r.remark ?? ""}`);
      }
    }
  };
  const readers = p.queueIds.map(readQueue);
  // Held pulls would keep a stopped consumer waiting: closing the client ends them.
  await Promise.race([Promise.all(readers), ctl.stop.then(() => client.close())]);
  await Promise.all(readers);
  await client.close();
  return { count };
};
