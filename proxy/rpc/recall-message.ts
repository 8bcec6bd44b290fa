import { create } from "@bufbuild/protobuf";
import {
  Code,
  type RecallMessageRequest,
  type RecallMessageResponse,
  RecallMessageResponseSchema,
} from "../../proto/v2.ts";
import { okStatus, status, statusOf } from "../status.ts";
import { unwrapBrokerToken } from "./broker-token.ts";
import type { RpcEnv } from "./env.ts";
import { checkTopic } from "./validate.ts";

/** RecallMessage: cancel a delay/timer message that has not been delivered, on the broker that stored it. */
export function recallMessage(env: RpcEnv) {
  return async (request: RecallMessageRequest): Promise<RecallMessageResponse> => {
    const refuse = (s: typeof okStatus) => create(RecallMessageResponseSchema, { status: s });
    const bad = checkTopic(request.topic);
    if (bad) return refuse(bad);
    const recall = unwrapBrokerToken(request.recallHandle);
    if (!recall) return refuse(status(Code.BAD_REQUEST, "malformed recall handle"));
    try {
      const messageId = await env.backend.recallMessage(recall.brokerName, request.topic!.name, recall.token);
      return create(RecallMessageResponseSchema, { status: okStatus, messageId });
    } catch (err) {
      return refuse(statusOf(err));
    }
  };
}
