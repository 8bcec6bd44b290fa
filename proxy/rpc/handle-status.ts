import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { Code, type Status } from "../../proto/v2.ts";
import { status, statusOf } from "../status.ts";

/**
 * The status of a failed ack / change of invisible time. The request's names were checked by the proxy, so a
 * broker refusing a parameter here is refusing the receipt handle (stale, or naming another broker): the client
 * must hear INVALID_RECEIPT_HANDLE, which it knows how to treat, rather than a generic BAD_REQUEST.
 */
export function handleStatusOf(err: unknown): Status {
  const e = MqError.from(err);
  if (e.code === ResponseCode.INVALID_PARAMETER || e.code === ResponseCode.BROKER_NOT_EXIST)
    return status(Code.INVALID_RECEIPT_HANDLE, e.message);
  return statusOf(e);
}
