import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/**
 * What a backend hands out as a half message's transaction id: the half's CommitLog offset and queue offset (what
 * END_TRANSACTION quotes) and the client-visible transaction id, so EndTransaction needs no server-side state.
 */
export function encodeTransactionToken(
  commitLogOffset: number,
  tranStateTableOffset: number,
  transactionId: string,
) {
  return `${commitLogOffset}:${tranStateTableOffset}:${transactionId}`;
}

export function decodeTransactionToken(token: string): {
  commitLogOffset: number;
  tranStateTableOffset: number;
  transactionId: string;
} {
  const m = /^(\d{1,16}):(\d{1,16}):(.*)$/.exec(token);
  if (!m) throw new MqError(ResponseCode.INVALID_PARAMETER, "malformed transaction id");
  return { commitLogOffset: Number(m[1]), tranStateTableOffset: Number(m[2]), transactionId: m[3] };
}
