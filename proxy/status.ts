import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { MqError } from "../proto/error.ts";
import { ResponseCode, type ResponseCodeName } from "../proto/response-code.ts";
import { Code, type Status } from "../proto/v2.ts";

/**
 * The proxy edge's single error translation. Broker, nameserver and backend faults arrive as MqError with a
 * remoting response code; RocketMQ clients read the business result from the v2 `Status` in the response body
 * (under a transport-level OK), so every remoting code maps to a v2 Code here, and nowhere else.
 */
const v2CodeByName: Record<ResponseCodeName, Code> = {
  SUCCESS: Code.OK,
  SYSTEM_ERROR: Code.INTERNAL_SERVER_ERROR,
  SYSTEM_BUSY: Code.TOO_MANY_REQUESTS,
  REQUEST_CODE_NOT_SUPPORTED: Code.NOT_IMPLEMENTED,
  TRANSACTION_FAILED: Code.INVALID_TRANSACTION_ID,
  FLUSH_DISK_TIMEOUT: Code.MASTER_PERSISTENCE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: Code.HA_NOT_AVAILABLE,
  FLUSH_SLAVE_TIMEOUT: Code.SLAVE_PERSISTENCE_TIMEOUT,
  MESSAGE_ILLEGAL: Code.BAD_REQUEST,
  SERVICE_NOT_AVAILABLE: Code.INTERNAL_SERVER_ERROR,
  VERSION_NOT_SUPPORTED: Code.VERSION_UNSUPPORTED,
  NO_PERMISSION: Code.FORBIDDEN,
  TOPIC_NOT_EXIST: Code.TOPIC_NOT_FOUND,
  TOPIC_EXIST_ALREADY: Code.PRECONDITION_FAILED,
  PULL_NOT_FOUND: Code.MESSAGE_NOT_FOUND,
  PULL_RETRY_IMMEDIATELY: Code.MESSAGE_NOT_FOUND,
  PULL_OFFSET_MOVED: Code.ILLEGAL_OFFSET,
  QUERY_NOT_FOUND: Code.OFFSET_NOT_FOUND,
  SUBSCRIPTION_PARSE_FAILED: Code.ILLEGAL_FILTER_EXPRESSION,
  SUBSCRIPTION_NOT_EXIST: Code.NOT_FOUND,
  SUBSCRIPTION_NOT_LATEST: Code.PRECONDITION_FAILED,
  SUBSCRIPTION_GROUP_NOT_EXIST: Code.CONSUMER_GROUP_NOT_FOUND,
  FILTER_DATA_NOT_EXIST: Code.ILLEGAL_FILTER_EXPRESSION,
  FILTER_DATA_NOT_LATEST: Code.ILLEGAL_FILTER_EXPRESSION,
  INVALID_PARAMETER: Code.BAD_REQUEST,
  // Check-back verdicts, never a successful RPC outcome when they arrive as an error.
  TRANSACTION_SHOULD_COMMIT: Code.PRECONDITION_FAILED,
  TRANSACTION_SHOULD_ROLLBACK: Code.PRECONDITION_FAILED,
  TRANSACTION_STATE_UNKNOW: Code.PRECONDITION_FAILED,
  TRANSACTION_STATE_GROUP_WRONG: Code.INVALID_TRANSACTION_ID,
  NO_BUYER_ID: Code.BAD_REQUEST,
  NOT_IN_CURRENT_UNIT: Code.FORBIDDEN,
  CONSUMER_NOT_ONLINE: Code.NOT_FOUND,
  CONSUME_MSG_TIMEOUT: Code.PROXY_TIMEOUT,
  NO_MESSAGE: Code.MESSAGE_NOT_FOUND,
  POLLING_FULL: Code.TOO_MANY_REQUESTS,
  POLLING_TIMEOUT: Code.MESSAGE_NOT_FOUND,
  BROKER_NOT_EXIST: Code.NOT_FOUND,
  BROKER_DISPATCH_NOT_COMPLETE: Code.INTERNAL_SERVER_ERROR,
  BROADCAST_CONSUMPTION: Code.FORBIDDEN,
  FLOW_CONTROL: Code.TOO_MANY_REQUESTS,
  NOT_LEADER_FOR_QUEUE: Code.INTERNAL_SERVER_ERROR,
  ILLEGAL_OPERATION: Code.FORBIDDEN,
  GO_AWAY: Code.INTERNAL_SERVER_ERROR,
  CONTROLLER_FENCED_MASTER_EPOCH: Code.HA_NOT_AVAILABLE,
  CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: Code.HA_NOT_AVAILABLE,
  CONTROLLER_INVALID_MASTER: Code.HA_NOT_AVAILABLE,
  CONTROLLER_INVALID_REPLICAS: Code.HA_NOT_AVAILABLE,
  CONTROLLER_MASTER_NOT_AVAILABLE: Code.HA_NOT_AVAILABLE,
  CONTROLLER_INVALID_REQUEST: Code.BAD_REQUEST,
  CONTROLLER_BROKER_NOT_ALIVE: Code.HA_NOT_AVAILABLE,
  CONTROLLER_NOT_LEADER: Code.INTERNAL_SERVER_ERROR,
  CONTROLLER_BROKER_METADATA_NOT_EXIST: Code.NOT_FOUND,
  CONTROLLER_INVALID_CLEAN_BROKER_METADATA: Code.BAD_REQUEST,
  CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: Code.PRECONDITION_FAILED,
  CONTROLLER_MASTER_STILL_EXIST: Code.PRECONDITION_FAILED,
  CONTROLLER_ELECT_MASTER_FAILED: Code.HA_NOT_AVAILABLE,
  CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: Code.HA_NOT_AVAILABLE,
  CONTROLLER_BROKER_ID_INVALID: Code.BAD_REQUEST,
  CONTROLLER_JRAFT_INTERNAL_ERROR: Code.INTERNAL_SERVER_ERROR,
  CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: Code.NOT_FOUND,
  USER_NOT_EXIST: Code.UNAUTHORIZED,
  POLICY_NOT_EXIST: Code.FORBIDDEN,
  // Raised by our own remoting client (Cluster mode) when a broker cannot be reached in time.
  RPC_UNKNOWN: Code.INTERNAL_SERVER_ERROR,
  RPC_ADDR_IS_NULL: Code.INTERNAL_SERVER_ERROR,
  RPC_SEND_TO_CHANNEL_FAILED: Code.INTERNAL_SERVER_ERROR,
  RPC_TIME_OUT: Code.PROXY_TIMEOUT,
};

const v2CodeByNumber = new Map<number, Code>(
  Object.entries(v2CodeByName).map(([name, code]) => [ResponseCode[name as ResponseCodeName], code]),
);

/** A remoting response code as the apache.rocketmq.v2 Code a client expects; unknown codes are internal errors. */
export function toV2Code(responseCode: number): Code {
  return v2CodeByNumber.get(responseCode) ?? Code.INTERNAL_SERVER_ERROR;
}

/** The v2 Status for anything thrown below the proxy edge. */
export function statusOf(err: unknown): Status {
  const e = MqError.from(err);
  return status(toV2Code(e.code), e.message);
}

/** Plain Status value; `message` is kept ASCII-safe by the adapters, not here. */
export function status(code: Code, message = code === Code.OK ? "OK" : Code[code]): Status {
  return { $typeName: "apache.rocketmq.v2.Status", code, message };
}

/**
 * The status of a failed ack, change of invisible time or dead-lettering. The request's names were checked by
 * the proxy, so a broker refusing a parameter there is refusing the receipt handle (stale, or naming another
 * broker): the client must hear INVALID_RECEIPT_HANDLE, which it knows how to treat, not a generic BAD_REQUEST.
 */
export function receiptHandleStatusOf(err: unknown): Status {
  const e = MqError.from(err);
  if (e.code === ResponseCode.INVALID_PARAMETER || e.code === ResponseCode.BROKER_NOT_EXIST)
    return status(Code.INVALID_RECEIPT_HANDLE, e.message);
  return statusOf(e);
}

export const okStatus: Status = Object.freeze(status(Code.OK, "OK"));

/**
 * The transport-level code (gRPC / Connect share the numbers) for a v2 Code, used only where a failure cannot be
 * carried in a response Status: a broken Telemetry stream, unreadable metadata, a request the codec refused.
 */
export function toConnectCode(code: Code): ConnectCode {
  if (code === Code.OK || code === Code.MULTIPLE_RESULTS) return ConnectCode.Unknown;
  switch (code) {
    case Code.UNAUTHORIZED:
      return ConnectCode.Unauthenticated;
    case Code.FORBIDDEN:
    case Code.PAYMENT_REQUIRED:
      return ConnectCode.PermissionDenied;
    case Code.REQUEST_TIMEOUT:
    case Code.PROXY_TIMEOUT:
    case Code.MASTER_PERSISTENCE_TIMEOUT:
    case Code.SLAVE_PERSISTENCE_TIMEOUT:
      return ConnectCode.DeadlineExceeded;
    case Code.PRECONDITION_FAILED:
      return ConnectCode.FailedPrecondition;
    case Code.TOO_MANY_REQUESTS:
    case Code.LITE_TOPIC_QUOTA_EXCEEDED:
    case Code.LITE_SUBSCRIPTION_QUOTA_EXCEEDED:
    case Code.PAYLOAD_TOO_LARGE:
    case Code.MESSAGE_BODY_TOO_LARGE:
      return ConnectCode.ResourceExhausted;
    case Code.HA_NOT_AVAILABLE:
      return ConnectCode.Unavailable;
    case Code.NOT_IMPLEMENTED:
    case Code.UNSUPPORTED:
    case Code.VERSION_UNSUPPORTED:
    case Code.VERIFY_FIFO_MESSAGE_UNSUPPORTED:
      return ConnectCode.Unimplemented;
  }
  if (code >= 40400 && code < 40500) return ConnectCode.NotFound;
  if (code >= 40000 && code < 50000) return ConnectCode.InvalidArgument;
  return ConnectCode.Internal;
}

/**
 * What a handler threw, as a transport-level error. The RPC handlers answer refusals in the response Status and
 * do not throw; this covers what escapes them anyway (a fault), so every adapter reports it with a fitting code.
 */
export function transportError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = MqError.from(err);
  return new ConnectError(e.message, toConnectCode(toV2Code(e.code)), undefined, undefined, err);
}
