import { create } from "@bufbuild/protobuf";
import { Code, SyncLiteSubscriptionResponseSchema } from "../../proto/v2.ts";
import type { MessagingHandlers } from "../routes.ts";
import { status } from "../status.ts";
import { ackMessage } from "./ack-message.ts";
import { changeInvisibleDuration } from "./change-invisible-duration.ts";
import { forwardMessageToDeadLetterQueue } from "./dead-letter.ts";
import { endTransaction } from "./end-transaction.ts";
import type { RpcEnv } from "./env.ts";
import { heartbeat, notifyClientTermination } from "./heartbeat.ts";
import { getOffset, queryOffset, updateOffset } from "./offsets.ts";
import { pullMessage } from "./pull-message.ts";
import { queryAssignment, queryRoute } from "./query-route.ts";
import { recallMessage } from "./recall-message.ts";
import { receiveMessage } from "./receive-message.ts";
import { sendMessage } from "./send-message.ts";
import { telemetry } from "./telemetry.ts";

/** Every MessagingService RPC, over one RpcEnv. */
export function createMessagingHandlers(env: RpcEnv): MessagingHandlers {
  return {
    queryRoute: queryRoute(env),
    heartbeat: heartbeat(env),
    sendMessage: sendMessage(env),
    queryAssignment: queryAssignment(env),
    receiveMessage: receiveMessage(env),
    ackMessage: ackMessage(env),
    forwardMessageToDeadLetterQueue: forwardMessageToDeadLetterQueue(env),
    pullMessage: pullMessage(env),
    updateOffset: updateOffset(env),
    getOffset: getOffset(env),
    queryOffset: queryOffset(env),
    endTransaction: endTransaction(env),
    telemetry: telemetry(env),
    notifyClientTermination: notifyClientTermination(env),
    changeInvisibleDuration: changeInvisibleDuration(env),
    recallMessage: recallMessage(env),
    // Lite topics (rocketmq-apis 2.1, RIP-83) have no broker support here: a clear refusal, not a hang.
    syncLiteSubscription: async () =>
      create(SyncLiteSubscriptionResponseSchema, {
        status: status(Code.UNSUPPORTED, "lite topics are not supported by this server"),
      }),
  };
}
