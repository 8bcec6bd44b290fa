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
    const entries: SendResultEntry[] = [];
    for (const b of built) {
      const queue = pick(topic, queues, b);
      const messageId = b.message.properties.UNIQ_KEY;
      try {
        const r = await env.backend.sendMessage(queue.brokerName, {
          ...b.message,
          queueId: queue.queueId,
          bornHost,
        });
        entries.push(
          create(SendResultEntrySchema, {
            status: sendStatusOf(r.sendStatus),
            messageId: r.msgId || messageId,
            transactionId:
              b.messageType === MessageType.TRANSACTION
                ? wrapBrokerToken(queue.brokerName, r.transactionId || r.msgId || messageId)
                : "",
            offset: BigInt(r.queueOffset),
            // The broker's handle names the broker itself (RocketMQ passes it through the same way).
            recallHandle: r.recallHandle ?? "",
          }),
        );
      } catch (err) {
        entries.push(create(SendResultEntrySchema, { status: statusOf(err), messageId }));
      }
    }
    const codes = new Set(entries.map((e) => e.status?.code));
    const top =
      codes.size === 1 ? entries[0].status! : status(Code.MULTIPLE_RESULTS, "entries have different results");
    return create(SendMessageResponseSchema, { status: top, entries });
  };
}
