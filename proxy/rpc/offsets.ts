import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  Code,
  type GetOffsetRequest,
  type GetOffsetResponse,
  GetOffsetResponseSchema,
  QueryOffsetPolicy,
  type QueryOffsetRequest,
  type QueryOffsetResponse,
  QueryOffsetResponseSchema,
  type UpdateOffsetRequest,
  type UpdateOffsetResponse,
  UpdateOffsetResponseSchema,
} from "../../proto/v2.ts";
import { okStatus, status, statusOf } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { isResolved, resolveQueue } from "./queue-ref.ts";
import { checkGroup } from "./validate.ts";

/** GetOffset: the group's committed offset on one queue (OFFSET_NOT_FOUND when it has none). */
export function getOffset(env: RpcEnv) {
  return async (request: GetOffsetRequest): Promise<GetOffsetResponse> => {
    const bad = checkGroup(request.group);
    if (bad) return create(GetOffsetResponseSchema, { status: bad });
    const q = await resolveQueue(env, request.messageQueue);
    if (!isResolved(q)) return create(GetOffsetResponseSchema, { status: q });
    try {
      const offset = await env.backend.queryConsumerOffset(q.brokerName, request.group!.name, q);
      if (offset === undefined)
        return create(GetOffsetResponseSchema, {
          status: status(Code.OFFSET_NOT_FOUND, "no committed offset"),
        });
      return create(GetOffsetResponseSchema, { status: okStatus, offset: BigInt(offset) });
    } catch (err) {
      return create(GetOffsetResponseSchema, { status: statusOf(err) });
    }
  };
}

/** UpdateOffset: commit a group's offset on one queue. */
export function updateOffset(env: RpcEnv) {
  return async (request: UpdateOffsetRequest): Promise<UpdateOffsetResponse> => {
    const bad = checkGroup(request.group);
    if (bad) return create(UpdateOffsetResponseSchema, { status: bad });
    if (request.offset < 0n || request.offset > BigInt(Number.MAX_SAFE_INTEGER))
      return create(UpdateOffsetResponseSchema, {
        status: status(Code.ILLEGAL_OFFSET, "offset must be >= 0"),
      });
    const q = await resolveQueue(env, request.messageQueue);
    if (!isResolved(q)) return create(UpdateOffsetResponseSchema, { status: q });
    try {
      await env.backend.updateConsumerOffset(q.brokerName, request.group!.name, q, Number(request.offset));
      return create(UpdateOffsetResponseSchema, { status: okStatus });
    } catch (err) {
      return create(UpdateOffsetResponseSchema, { status: statusOf(err) });
    }
  };
}

/** QueryOffset: a queue's first offset, next offset (END), or first offset stored at or after a time. */
export function queryOffset(env: RpcEnv) {
  return async (request: QueryOffsetRequest): Promise<QueryOffsetResponse> => {
    const q = await resolveQueue(env, request.messageQueue);
    if (!isResolved(q)) return create(QueryOffsetResponseSchema, { status: q });
    try {
      let offset: number;
      switch (request.queryOffsetPolicy) {
        case QueryOffsetPolicy.BEGINNING:
          offset = await env.backend.getMinOffset(q.brokerName, q);
          break;
        case QueryOffsetPolicy.END:
          offset = await env.backend.getMaxOffset(q.brokerName, q);
          break;
        case QueryOffsetPolicy.TIMESTAMP:
          if (!request.timestamp)
            return create(QueryOffsetResponseSchema, {
              status: status(Code.BAD_REQUEST, "timestamp is required with the TIMESTAMP policy"),
            });
          offset = await env.backend.searchOffset(q.brokerName, q, timestampMs(request.timestamp));
          break;
        default:
          return create(QueryOffsetResponseSchema, {
            status: status(Code.BAD_REQUEST, "unknown query_offset_policy"),
          });
      }
      return create(QueryOffsetResponseSchema, { status: okStatus, offset: BigInt(offset) });
    } catch (err) {
      return create(QueryOffsetResponseSchema, { status: statusOf(err) });
    }
  };
}
