import { create } from "@bufbuild/protobuf";
import {
  type AckMessageRequest,
  type AckMessageResponse,
  AckMessageResponseSchema,
  type AckMessageResultEntry,
  AckMessageResultEntrySchema,
  Code,
} from "../../proto/v2.ts";
import { okStatus, receiptHandleStatusOf, status } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { readReceiptHandle } from "./receipt-handle.ts";
import { checkGroup, checkTopic } from "./validate.ts";

/** AckMessage: each entry is acked on the broker its receipt handle names, and gets its own status. */
export function ackMessage(env: RpcEnv) {
  return async (request: AckMessageRequest): Promise<AckMessageResponse> => {
    const bad = checkGroup(request.group) ?? checkTopic(request.topic);
    if (bad) return create(AckMessageResponseSchema, { status: bad });
    if (request.entries.length === 0)
      return create(AckMessageResponseSchema, { status: status(Code.BAD_REQUEST, "no entry to ack") });
    const group = request.group!.name;
    const topic = request.topic!.name;

    const entries: AckMessageResultEntry[] = await Promise.all(
      request.entries.map(async (e) => {
        const result = (s: typeof okStatus) =>
          create(AckMessageResultEntrySchema, {
            messageId: e.messageId,
            receiptHandle: e.receiptHandle,
            status: s,
          });
        const info = readReceiptHandle(e.receiptHandle);
        if (!info) return result(status(Code.INVALID_RECEIPT_HANDLE, "malformed receipt handle"));
        const handle = await env.renewer.release(group, e.receiptHandle);
        try {
          await env.backend.ackMessage(info.brokerName, {
            consumerGroup: group,
            topic,
            receiptHandle: handle,
          });
          return result(okStatus);
        } catch (err) {
          return result(receiptHandleStatusOf(err));
        }
      }),
    );
    const codes = new Set(entries.map((e) => e.status?.code));
    const top =
      codes.size === 1 ? entries[0].status! : status(Code.MULTIPLE_RESULTS, "entries have different results");
    return create(AckMessageResponseSchema, { status: top, entries });
  };
}
