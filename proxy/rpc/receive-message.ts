import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  Code,
  type ReceiveMessageRequest,
  type ReceiveMessageResponse,
  ReceiveMessageResponseSchema,
  type Status,
} from "../../proto/v2.ts";
import { PERM_READ, type PoppedMessage, type TopicRoute } from "../backend/backend.ts";
import { millisOf } from "../settings.ts";
import { okStatus, status, statusOf } from "../status.ts";
import type { CallContext } from "./context.ts";
import type { RpcEnv } from "./env.ts";
import { filterSpecOf, isFilterSpec } from "./filter.ts";
import { toV2Message } from "./message-view.ts";
import { readReceiptHandle } from "./receipt-handle.ts";
import { checkGroup, checkTopic } from "./validate.ts";

const statusPart = (s: Status): ReceiveMessageResponse =>
  create(ReceiveMessageResponseSchema, { content: { case: "status", value: s } });
const deliveryTimestampPart = (): ReceiveMessageResponse =>
  create(ReceiveMessageResponseSchema, { content: { case: "deliveryTimestamp", value: timestampNow() } });

/**
 * How long this receive may long-poll (RocketMQ ReceiveMessageActivity): the client's long_polling_timeout, else
 * what its deadline leaves after half its request timeout, clamped to [min, max], and always ending
 * longPollingReserveTimeInMillis before the client's deadline so the stream completes before the client gives up.
 */
export function pollTimeOf(
  request: ReceiveMessageRequest,
  call: Pick<CallContext, "deadline">,
  limits: RpcEnv["limits"],
  now: number,
  requestTimeoutMillis: number | undefined,
): number | Status {
  const remaining = call.deadline === undefined ? Number.POSITIVE_INFINITY : call.deadline - now;
  let pollTime = millisOf(request.longPollingTimeout) ?? remaining - (requestTimeoutMillis ?? 3000) / 2;
  pollTime = Math.min(
    Math.max(pollTime, limits.minLongPollingTimeoutMillis),
    limits.maxLongPollingTimeoutMillis,
  );
  if (pollTime > remaining) {
    if (remaining < limits.minLongPollingTimeoutMillis)
      return status(Code.ILLEGAL_POLLING_TIME, "the deadline leaves no time for long polling");
    pollTime = remaining;
  }
  return Math.max(0, pollTime - limits.longPollingReserveTimeInMillis);
}

/**
 * ReceiveMessage (server streaming): one status part, then one part per message, then a delivery timestamp, then
 * the end of the stream (clients read the whole stream before looking at it). Pops from the broker named in
 * message_queue when the route has it, else round-robin over the readable brokers; the queue id is ignored.
 */
export function receiveMessage(env: RpcEnv) {
  const nextBroker = new Map<string, number>();

  const chooseBroker = (route: TopicRoute, requested: string | undefined): string | undefined => {
    const readable = route.queueDatas.filter((qd) => (qd.perm & PERM_READ) !== 0 && qd.readQueueNums > 0);
    if (readable.length === 0) return undefined;
    const named = readable.find((qd) => qd.brokerName === requested);
    if (named) return named.brokerName;
    const n = nextBroker.get(route.topic) ?? 0;
    nextBroker.set(route.topic, (n + 1) % 1_000_000_007);
    return readable[n % readable.length].brokerName;
  };

  return async function* (
    request: ReceiveMessageRequest,
    call: CallContext,
  ): AsyncIterable<ReceiveMessageResponse> {
    const refuse = function* (s: Status) {
      yield statusPart(s);
      yield deliveryTimestampPart();
    };
    const bad = checkGroup(request.group) ?? checkTopic(request.messageQueue?.topic);
    if (bad) return yield* refuse(bad);
    const group = request.group!.name;
    const topic = request.messageQueue!.topic!.name;
    const filter = filterSpecOf(request.filterExpression);
    if (!isFilterSpec(filter)) return yield* refuse(filter);
    if (request.batchSize <= 0) return yield* refuse(status(Code.BAD_REQUEST, "batch_size must be positive"));
    const maxMsgNums = Math.min(request.batchSize, env.limits.maxReceiveBatchSize);

    const { limits } = env;
    let invisibleTime = limits.defaultInvisibleTimeMills;
    const requestedInvisible = millisOf(request.invisibleDuration);
    if (!request.autoRenew && requestedInvisible !== undefined) {
      if (
        requestedInvisible < limits.minInvisibleTimeMillsForRecv ||
        requestedInvisible > limits.maxInvisibleTimeMills
      )
        return yield* refuse(
          status(
            Code.ILLEGAL_INVISIBLE_TIME,
            `invisible_duration must be within [${limits.minInvisibleTimeMillsForRecv}, ${limits.maxInvisibleTimeMills}] ms`,
          ),
        );
      invisibleTime = requestedInvisible;
    }

    const session = call.clientId ? env.sessions.get(call.clientId) : undefined;
    const pollTime = pollTimeOf(
      request,
      call,
      limits,
      env.now(),
      millisOf(session?.settings?.requestTimeout),
    );
    if (typeof pollTime !== "number") return yield* refuse(pollTime);

    let popped: PoppedMessage[];
    try {
      const route = await env.backend.getTopicRoute(topic);
      const groupInfo = await env.backend.getConsumerGroup(group);
      const brokerName = chooseBroker(route, request.messageQueue?.broker?.name);
      if (!brokerName) return yield* refuse(status(Code.FORBIDDEN, `topic ${topic} has no readable queue`));
      const result = await env.backend.popMessage(
        brokerName,
        {
          consumerGroup: group,
          topic,
          queueId: -1,
          maxMsgNums,
          invisibleTime,
          pollTime,
          filter,
          order: groupInfo.consumeMessageOrderly,
          attemptId: request.attemptId,
          initMode: limits.consumeFromMinOffset ? 0 : 1,
        },
        call.signal,
      );
      if (result.popStatus === "POLLING_FULL")
        return yield* refuse(status(Code.TOO_MANY_REQUESTS, "polling full"));
      if (result.messages.length === 0)
        return yield* refuse(status(Code.MESSAGE_NOT_FOUND, "no new message"));
      popped = result.messages;
    } catch (err) {
      if (call.signal.aborted) return;
      return yield* refuse(statusOf(err));
    }

    let delivered = 0;
    try {
      if (call.signal.aborted) return;
      yield statusPart(okStatus);
      for (const m of popped) {
        yield create(ReceiveMessageResponseSchema, {
          content: {
            case: "message",
            value: toV2Message(m, {
              topic,
              receiptHandle: m.receiptHandle,
              invisibleTimeMillis: invisibleTime,
            }),
          },
        });
        delivered++;
        if (request.autoRenew && call.clientId)
          env.renewer.hold(call.clientId, group, topic, m.receiptHandle);
      }
      yield deliveryTimestampPart();
    } finally {
      // The client left before getting these: make them visible again soon instead of after invisibleTime.
      for (const m of popped.slice(delivered)) {
        const handle = await env.renewer.release(group, m.receiptHandle);
        const brokerName = readReceiptHandle(handle)?.brokerName ?? "";
        env.backend
          .changeInvisibleTime(brokerName, {
            consumerGroup: group,
            topic,
            receiptHandle: handle,
            invisibleTime: 1000,
          })
          .catch((err) => env.logger.debug({ err }, "could not release an undelivered message"));
      }
    }
  };
}
