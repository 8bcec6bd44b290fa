import { create } from "@bufbuild/protobuf";
import {
  Code,
  type PullMessageRequest,
  type PullMessageResponse,
  PullMessageResponseSchema,
  type Status,
} from "../../proto/v2.ts";
import { millisOf } from "../settings.ts";
import { okStatus, status, statusOf } from "../status.ts";
import type { CallContext } from "./context.ts";
import type { RpcEnv } from "./env.ts";
import { filterSpecOf, isFilterSpec } from "./filter.ts";
import { toV2Message } from "./message-view.ts";
import { isResolved, resolveQueue } from "./queue-ref.ts";
import { checkGroup } from "./validate.ts";

const statusPart = (s: Status) =>
  create(PullMessageResponseSchema, { content: { case: "status", value: s } });
const nextOffsetPart = (offset: number) =>
  create(PullMessageResponseSchema, { content: { case: "nextOffset", value: BigInt(offset) } });

/**
 * PullMessage (server streaming, offset-based consumption): a status part, one part per message, then the next
 * offset to pull from. The long poll ends before the client's deadline like ReceiveMessage's.
 */
export function pullMessage(env: RpcEnv) {
  return async function* (
    request: PullMessageRequest,
    call: CallContext,
  ): AsyncIterable<PullMessageResponse> {
    const bad = checkGroup(request.group);
    if (bad) return yield statusPart(bad);
    const queue = await resolveQueue(env, request.messageQueue);
    if (!isResolved(queue)) return yield statusPart(queue);
    const filter = filterSpecOf(request.filterExpression);
    if (!isFilterSpec(filter)) return yield statusPart(filter);
    if (request.offset < 0n || request.offset > BigInt(Number.MAX_SAFE_INTEGER))
      return yield statusPart(status(Code.ILLEGAL_OFFSET, "offset must be >= 0"));
    if (request.batchSize <= 0)
      return yield statusPart(status(Code.BAD_REQUEST, "batch_size must be positive"));

    const remaining = call.deadline === undefined ? Number.POSITIVE_INFINITY : call.deadline - env.now();
    const requested = millisOf(request.longPollingTimeout) ?? 0;
    const pollTime = Math.max(
      0,
      Math.min(requested, env.limits.maxLongPollingTimeoutMillis, remaining) -
        env.limits.longPollingReserveTimeInMillis,
    );
    try {
      const r = await env.backend.pullMessage(
        queue.brokerName,
        {
          consumerGroup: request.group!.name,
          topic: queue.topic,
          queueId: queue.queueId,
          queueOffset: Number(request.offset),
          maxMsgNums: Math.min(request.batchSize, env.limits.maxReceiveBatchSize),
          filter,
          pollTime,
        },
        call.signal,
      );
      switch (r.pullStatus) {
        case "FOUND":
          if (r.messages.length > 0) {
            yield statusPart(okStatus);
            for (const m of r.messages)
              yield create(PullMessageResponseSchema, {
                content: { case: "message", value: toV2Message(m) },
              });
          } else yield statusPart(status(Code.MESSAGE_NOT_FOUND, "no matched message"));
          break;
        case "NO_NEW_MSG":
        case "NO_MATCHED_MSG":
          yield statusPart(status(Code.MESSAGE_NOT_FOUND, "no new message"));
          break;
        case "OFFSET_ILLEGAL":
          yield statusPart(
            status(
              Code.ILLEGAL_OFFSET,
              `offset ${request.offset} is outside [${r.minOffset}, ${r.maxOffset}]`,
            ),
          );
          break;
      }
      yield nextOffsetPart(r.nextBeginOffset);
    } catch (err) {
      if (!call.signal.aborted) yield statusPart(statusOf(err));
    }
  };
}
