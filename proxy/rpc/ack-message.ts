import { create } from "@bufbuild/protobuf";
import {
  type AckMessageRequest,
  type AckMessageResponse,
  AckMessageResponseSchema,
  type AckMessageResultEntry,
  AckMessageResultEntrySchema,
  Code,
  type Status,
} from "../../proto/v2.ts";
import { okStatus, receiptHandleStatusOf, status } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { readReceiptHandle } from "./receipt-handle.ts";
import { checkGroup, checkTopic } from "./validate.ts";

/**
 * AckMessage: the entries are grouped by the broker their receipt handles name and acked with one call per broker
 * (the broker writes one record per pop checkpoint); each entry still gets its own status.
 */
export function ackMessage(env: RpcEnv) {
  return async (request: AckMessageRequest): Promise<AckMessageResponse> => {
    const bad = checkGroup(request.group) ?? checkTopic(request.topic);
    if (bad) return create(AckMessageResponseSchema, { status: bad });
    if (request.entries.length === 0)
      return create(AckMessageResponseSchema, { status: status(Code.BAD_REQUEST, "no entry to ack") });
    const group = request.group!.name;
    const topic = request.topic!.name;

    const statuses: Status[] = new Array(request.entries.length);
    const byBroker = new Map<string, { indexes: number[]; handles: string[] }>();
    await Promise.all(
      request.entries.map(async (e, i) => {
        const info = readReceiptHandle(e.receiptHandle);
        if (!info) {
          statuses[i] = status(Code.INVALID_RECEIPT_HANDLE, "malformed receipt handle");
          return;
        }
        const handle = await env.renewer.release(group, e.receiptHandle);
        const batch = byBroker.get(info.brokerName);
        if (batch) {
          batch.indexes.push(i);
          batch.handles.push(handle);
        } else byBroker.set(info.brokerName, { indexes: [i], handles: [handle] });
      }),
    );
    await Promise.all(
      [...byBroker].map(async ([brokerName, { indexes, handles }]) => {
        try {
          const errors = await env.backend.ackMessages(brokerName, {
            consumerGroup: group,
            topic,
            receiptHandles: handles,
          });
          indexes.forEach((entry, k) => {
            const err = errors[k];
            statuses[entry] = err ? receiptHandleStatusOf(err) : okStatus;
          });
        } catch (err) {
          const s = receiptHandleStatusOf(err);
          for (const entry of indexes) statuses[entry] = s;
        }
      }),
    );
    const entries: AckMessageResultEntry[] = request.entries.map((e, i) =>
      create(AckMessageResultEntrySchema, {
        messageId: e.messageId,
        receiptHandle: e.receiptHandle,
        status: statuses[i]!,
      }),
    );
    const first = statuses[0]!;
    const top = statuses.every((s) => s.code === first.code)
      ? first
      : status(Code.MULTIPLE_RESULTS, "entries have different results");
    return create(AckMessageResponseSchema, { status: top, entries });
  };
}
