import { create } from "@bufbuild/protobuf";
import { javaStringHashCode } from "../../proto/message/string-hash-code.ts";
import {
  Code,
  MessageType,
  type SendMessageRequest,
  type SendMessageResponse,
  SendMessageResponseSchema,
  type SendResultEntry,
  SendResultEntrySchema,
  type Status,
} from "../../proto/v2.ts";
import { PERM_WRITE, type SendStatus, type TopicRoute } from "../backend/backend.ts";
import { okStatus, status, statusOf } from "../status.ts";
import { wrapBrokerToken } from "./broker-token.ts";
import { type CallContext, peerBornHost } from "./context.ts";
import type { RpcEnv } from "./env.ts";
import { type BuiltMessage, buildMessage, isBuilt } from "./message-build.ts";
import { acceptMessageTypes } from "./query-route.ts";

interface WritableQueue {
  brokerName: string;
  queueId: number;
}

function writableQueues(route: TopicRoute): WritableQueue[] {
  const out: WritableQueue[] = [];
  for (const qd of route.queueDatas) {
    if ((qd.perm & PERM_WRITE) === 0) continue;
    for (let queueId = 0; queueId < qd.writeQueueNums; queueId++)
      out.push({ brokerName: qd.brokerName, queueId });
  }
  return out;
}

function sendStatusOf(s: SendStatus): Status {
  switch (s) {
    case "SEND_OK":
      return okStatus;
    case "FLUSH_DISK_TIMEOUT":
      return status(Code.MASTER_PERSISTENCE_TIMEOUT, "stored, but the flush to disk timed out");
    case "FLUSH_SLAVE_TIMEOUT":
      return status(Code.SLAVE_PERSISTENCE_TIMEOUT, "stored, but the copy to the slave timed out");
    case "SLAVE_NOT_AVAILABLE":
      return status(Code.HA_NOT_AVAILABLE, "stored, but no slave is available");
  }
}

/**
 * SendMessage: all messages of one request share a topic. The proxy ignores the client's queue_id and picks
 * the queue itself: FIFO messages by a hash of their message group (so one group stays on one queue), others
 * round-robin over the writable queues of every broker.
 */
export function sendMessage(env: RpcEnv) {
  const nextQueue = new Map<string, number>();

  const pick = (topic: string, queues: WritableQueue[], built: BuiltMessage): WritableQueue => {
    if (built.messageGroup !== undefined)
      return queues[Math.abs(javaStringHashCode(built.messageGroup)) % queues.length];
    const n = nextQueue.get(topic) ?? Math.floor(Math.random() * queues.length);
    nextQueue.set(topic, (n + 1) % 1_000_000_007);
    return queues[n % queues.length];
  };

  return async (request: SendMessageRequest, call: CallContext): Promise<SendMessageResponse> => {
    const refuse = (s: Status) => create(SendMessageResponseSchema, { status: s });
    if (request.messages.length === 0) return refuse(status(Code.MESSAGE_CORRUPTED, "no message to send"));
    const topic = request.messages[0].topic?.name ?? "";
    if (request.messages.some((m) => (m.topic?.name ?? "") !== topic))
      return refuse(status(Code.MESSAGE_CORRUPTED, "all messages of one request must have the same topic"));

    const now = env.now();
    const built: BuiltMessage[] = [];
    for (const m of request.messages) {
      const b = buildMessage(m, env.limits, now);
      if (!isBuilt(b)) return refuse(b);
      built.push(b);
    }

    let route: TopicRoute;
    try {
      route = await env.backend.getTopicRoute(topic);
    } catch (err) {
      return refuse(statusOf(err));
    }
    const accepted = acceptMessageTypes(route.messageType);
    for (const b of built) {
      if (!accepted.includes(b.messageType))
        return refuse(
          status(
            Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
            `topic ${topic} accepts ${route.messageType} messages, not ${MessageType[b.messageType]}`,
          ),
        );
    }
    const queues = writableQueues(route);
    if (queues.length === 0) return refuse(status(Code.FORBIDDEN, `topic ${topic} has no writable queue`));

    const bornHost = peerBornHost(call.peer);
    const sendOne = async (b: BuiltMessage, queue: WritableQueue): Promise<SendResultEntry> => {
      const messageId = b.message.properties.UNIQ_KEY;
      try {
        const r = await env.backend.sendMessage(queue.brokerName, {
          ...b.message,
          queueId: queue.queueId,
          bornHost,
        });
        return create(SendResultEntrySchema, {
          status: sendStatusOf(r.sendStatus),
          messageId: r.msgId || messageId,
          transactionId:
            b.messageType === MessageType.TRANSACTION
              ? wrapBrokerToken(queue.brokerName, r.transactionId || r.msgId || messageId)
              : "",
          offset: BigInt(r.queueOffset),
          // The broker's handle names the broker itself (RocketMQ passes it through the same way).
          recallHandle: r.recallHandle ?? "",
        });
      } catch (err) {
        return create(SendResultEntrySchema, { status: statusOf(err), messageId });
      }
    };

    let entries: SendResultEntry[];
    if (built.length === 1) entries = [await sendOne(built[0], pick(topic, queues, built[0]))];
    else {
      // Several messages: one chain per queue, so a queue keeps the request's order (FIFO groups) while
      // different queues are written concurrently (and land in the same group commit).
      entries = new Array(built.length);
      const chains = new Map<WritableQueue, number[]>();
      built.forEach((b, i) => {
        const q = pick(topic, queues, b);
        const chain = chains.get(q);
        if (chain) chain.push(i);
        else chains.set(q, [i]);
      });
      await Promise.all(
        [...chains].map(async ([q, indexes]) => {
          for (const i of indexes) entries[i] = await sendOne(built[i], q);
        }),
      );
    }
    let top = entries[0].status!;
    for (const e of entries)
      if (e.status?.code !== top.code) {
        top = status(Code.MULTIPLE_RESULTS, "entries have different results");
        break;
      }
    return create(SendMessageResponseSchema, { status: top, entries });
  };
}
