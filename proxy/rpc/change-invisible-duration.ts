import { create } from "@bufbuild/protobuf";
import {
  type ChangeInvisibleDurationRequest,
  type ChangeInvisibleDurationResponse,
  ChangeInvisibleDurationResponseSchema,
  Code,
} from "../../proto/v2.ts";
import { millisOf } from "../settings.ts";
import { okStatus, receiptHandleStatusOf, status } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { readReceiptHandle } from "./receipt-handle.ts";
import { checkGroup, checkTopic } from "./validate.ts";

/** ChangeInvisibleDuration: the answer carries a new receipt handle, which replaces the old one for later acks. */
export function changeInvisibleDuration(env: RpcEnv) {
  return async (request: ChangeInvisibleDurationRequest): Promise<ChangeInvisibleDurationResponse> => {
    const refuse = (s: typeof okStatus) => create(ChangeInvisibleDurationResponseSchema, { status: s });
    const bad = checkGroup(request.group) ?? checkTopic(request.topic);
    if (bad) return refuse(bad);
    const invisibleTime = millisOf(request.invisibleDuration);
    if (invisibleTime === undefined || invisibleTime < 0 || invisibleTime > env.limits.maxInvisibleTimeMills)
      return refuse(
        status(
          Code.ILLEGAL_INVISIBLE_TIME,
          `invisible_duration must be within [0, ${env.limits.maxInvisibleTimeMills}] ms`,
        ),
      );
    if (!readReceiptHandle(request.receiptHandle))
      return refuse(status(Code.INVALID_RECEIPT_HANDLE, "malformed receipt handle"));
    const group = request.group!.name;
    const handle = await env.renewer.release(group, request.receiptHandle);
    const info = readReceiptHandle(handle)!;
    if (info.nextVisibleTime <= env.now())
      return refuse(status(Code.INVALID_RECEIPT_HANDLE, "the receipt handle has expired"));
    try {
      const receiptHandle = await env.backend.changeInvisibleTime(info.brokerName, {
        consumerGroup: group,
        topic: request.topic!.name,
        receiptHandle: handle,
        invisibleTime,
      });
      return create(ChangeInvisibleDurationResponseSchema, { status: okStatus, receiptHandle });
    } catch (err) {
      return refuse(receiptHandleStatusOf(err));
    }
  };
}
