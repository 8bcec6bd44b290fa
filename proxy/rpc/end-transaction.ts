import { create } from "@bufbuild/protobuf";
import {
  Code,
  type EndTransactionRequest,
  type EndTransactionResponse,
  EndTransactionResponseSchema,
  TransactionResolution,
  TransactionSource,
} from "../../proto/v2.ts";
import { okStatus, status, statusOf } from "../status.ts";
import { unwrapBrokerToken } from "./broker-token.ts";
import type { RpcEnv } from "./env.ts";
import { checkTopic, hasControlCharacter } from "./validate.ts";

/** EndTransaction: commit or roll back a half message on the broker its transaction id names. */
export function endTransaction(env: RpcEnv) {
  return async (request: EndTransactionRequest): Promise<EndTransactionResponse> => {
    const refuse = (s: typeof okStatus) => create(EndTransactionResponseSchema, { status: s });
    const bad = checkTopic(request.topic);
    if (bad) return refuse(bad);
    const tx = unwrapBrokerToken(request.transactionId);
    if (!tx) return refuse(status(Code.INVALID_TRANSACTION_ID, "malformed transaction id"));
    if (request.messageId === "" || request.messageId.length > 128 || hasControlCharacter(request.messageId))
      return refuse(status(Code.ILLEGAL_MESSAGE_ID, "message_id is empty or malformed"));
    if (
      request.resolution !== TransactionResolution.COMMIT &&
      request.resolution !== TransactionResolution.ROLLBACK
    )
      return refuse(status(Code.BAD_REQUEST, "resolution must be COMMIT or ROLLBACK"));
    try {
      await env.backend.endTransaction(tx.brokerName, {
        topic: request.topic!.name,
        producerGroup: request.topic!.name,
        msgId: request.messageId,
        transactionId: tx.token,
        commit: request.resolution === TransactionResolution.COMMIT,
        fromTransactionCheck: request.source === TransactionSource.SOURCE_SERVER_CHECK,
      });
      return refuse(okStatus);
    } catch (err) {
      return refuse(statusOf(err));
    }
  };
}
