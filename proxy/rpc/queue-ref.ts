import { Code, type MessageQueue, type Status } from "../../proto/v2.ts";
import { status, statusOf } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { checkTopic } from "./validate.ts";

export interface ResolvedQueue {
  brokerName: string;
  topic: string;
  queueId: number;
}

/**
 * The one queue an offset-based RPC (PullMessage, GetOffset, UpdateOffset, QueryOffset) addresses. The broker
 * may be left out when the topic lives on a single broker; it must be one the route knows.
 */
export async function resolveQueue(
  env: RpcEnv,
  mq: MessageQueue | undefined,
): Promise<ResolvedQueue | Status> {
  const bad = checkTopic(mq?.topic);
  if (bad) return bad;
  const topic = mq!.topic!.name;
  const queueId = mq!.id;
  if (queueId < 0) return status(Code.BAD_REQUEST, "message_queue.id must be a queue id (>= 0)");
  try {
    const route = await env.backend.getTopicRoute(topic);
    const requested = mq!.broker?.name ?? "";
    const candidates =
      requested === "" ? route.queueDatas : route.queueDatas.filter((q) => q.brokerName === requested);
    if (candidates.length !== 1)
      return status(
        Code.BAD_REQUEST,
        requested === ""
          ? "message_queue.broker.name is required for this topic"
          : `unknown broker ${requested}`,
      );
    const qd = candidates[0];
    if (queueId >= Math.max(qd.readQueueNums, qd.writeQueueNums))
      return status(Code.BAD_REQUEST, `topic ${topic} has no queue ${queueId} on ${qd.brokerName}`);
    return { brokerName: qd.brokerName, topic, queueId };
  } catch (err) {
    return statusOf(err);
  }
}

export function isResolved(x: ResolvedQueue | Status): x is ResolvedQueue {
  return "brokerName" in x;
}
