import { MqError } from "../../proto/error.ts";
import { MessageConst } from "../../proto/message/index.ts";
import type { RemotingCommand, RemotingServer } from "../../proto/remoting/index.ts";
import { createRequest, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi, EndTransactionRequest, TransactionCheck } from "../broker-api.ts";
import { encodeMessageExt } from "./record.ts";
import { ok } from "./respond.ts";

/** MessageSysFlag transaction types as END_TRANSACTION's commitOrRollback carries them. */
const OUTCOMES: Record<number, EndTransactionRequest["commitOrRollback"]> = {
  0: "UNKNOWN",
  8: "COMMIT",
  12: "ROLLBACK",
};

/** END_TRANSACTION (usually oneway): a producer commits or rolls back a half message. */
export function registerEndTransactionHandlers(server: RemotingServer, deps: { api: BrokerApi }): void {
  server.handle(RequestCode.END_TRANSACTION, async (cmd) => {
    const h = readHeader(cmd, {
      producerGroup: "string",
      tranStateTableOffset: "long",
      commitLogOffset: "long",
      commitOrRollback: "int",
      fromTransactionCheck: "bool?",
      msgId: "string?",
      transactionId: "string?",
    });
    const outcome = OUTCOMES[h.commitOrRollback];
    if (!outcome)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `commitOrRollback ${h.commitOrRollback} is not 0, 8 or 12`,
      );
    await deps.api.endTransaction({
      producerGroup: h.producerGroup,
      commitLogOffset: h.commitLogOffset,
      tranStateTableOffset: h.tranStateTableOffset,
      commitOrRollback: outcome,
      fromTransactionCheck: h.fromTransactionCheck ?? false,
    });
    return ok(cmd);
  });
}

/** The CHECK_TRANSACTION_STATE request (broker -> producer, oneway) for one open half message. */
export function checkTransactionStateRequest(check: TransactionCheck): RemotingCommand {
  const m = check.message;
  return createRequest(
    RequestCode.CHECK_TRANSACTION_STATE,
    {
      topic: m.topic,
      tranStateTableOffset: check.tranStateTableOffset,
      commitLogOffset: check.commitLogOffset,
      msgId: m.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? m.msgId,
      transactionId: check.transactionId,
      offsetMsgId: m.msgId,
    },
    encodeMessageExt(m),
  );
}
