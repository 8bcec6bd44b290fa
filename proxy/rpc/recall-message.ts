import { create } from "@bufbuild/protobuf";
import {
  Code,
  type RecallMessageRequest,
  type RecallMessageResponse,
  RecallMessageResponseSchema,
  type Status,
} from "../../proto/v2.ts";
import { okStatus, status, statusOf } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { readRecallHandle } from "./recall-handle.ts";
import { checkTopic } from "./validate.ts";

/**
 * RecallMessage: cancel a delay/timer message that has not been delivered yet, on the broker named in its recall
 * handle. A handle that is not a broker's, or is for another topic, is BAD_REQUEST; one whose message was already
 * delivered or recalled is MESSAGE_NOT_FOUND (the broker's NO_MESSAGE).
 */
export function recallMessage(env: RpcEnv) {
  return async (request: RecallMessageRequest): Promise<RecallMessageResponse> => {
    const refuse = (s: Status) => create(RecallMessageResponseSchema, { status: s });
    const bad = checkTopic(request.topic);
    if (bad) return refuse(bad);
    const topic = request.topic!.name;
    const handle = readRecallHandle(request.recallHandle);
    if (!handle) return refuse(status(Code.BAD_REQUEST, "malformed recall handle"));
    if (handle.topic !== topic)
      return refuse(status(Code.BAD_REQUEST, `the recall handle is for another topic, not ${topic}`));
    try {
      const messageId = await env.backend.recallMessage(handle.brokerName, topic, request.recallHandle);
      return create(RecallMessageResponseSchema, { status: okStatus, messageId });
    } catch (err) {
      return refuse(statusOf(err));
    }
  };
}
