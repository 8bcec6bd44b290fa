import { create } from "@bufbuild/protobuf";
import {
  Code,
  type ForwardMessageToDeadLetterQueueRequest,
  type ForwardMessageToDeadLetterQueueResponse,
  ForwardMessageToDeadLetterQueueResponseSchema,
} from "../../proto/v2.ts";
import { okStatus, receiptHandleStatusOf, status } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { readReceiptHandle } from "./receipt-handle.ts";
import { checkGroup, checkTopic } from "./validate.ts";

/** ForwardMessageToDeadLetterQueue: a consumer gave up on a message; the broker moves it to %DLQ%group. */
export function forwardMessageToDeadLetterQueue(env: RpcEnv) {
  return async (
    request: ForwardMessageToDeadLetterQueueRequest,
  ): Promise<ForwardMessageToDeadLetterQueueResponse> => {
    const refuse = (s: typeof okStatus) =>
      create(ForwardMessageToDeadLetterQueueResponseSchema, { status: s });
    const bad = checkGroup(request.group) ?? checkTopic(request.topic);
    if (bad) return refuse(bad);
    const info = readReceiptHandle(request.receiptHandle);
    if (!info) return refuse(status(Code.INVALID_RECEIPT_HANDLE, "malformed receipt handle"));
    const group = request.group!.name;
    const handle = await env.renewer.release(group, request.receiptHandle);
    try {
      await env.backend.forwardToDeadLetterQueue(info.brokerName, {
        consumerGroup: group,
        topic: request.topic!.name,
        receiptHandle: handle,
        msgId: request.messageId,
      });
      return refuse(okStatus);
    } catch (err) {
      return refuse(receiptHandleStatusOf(err));
    }
  };
}
