import { create } from "@bufbuild/protobuf";
import {
  type HeartbeatRequest,
  type HeartbeatResponse,
  HeartbeatResponseSchema,
  type NotifyClientTerminationRequest,
  type NotifyClientTerminationResponse,
  NotifyClientTerminationResponseSchema,
} from "../../proto/v2.ts";
import type { ClientSession } from "../client-sessions.ts";
import { okStatus, statusOf } from "../status.ts";
import type { CallContext } from "./context.ts";
import type { RpcEnv } from "./env.ts";
import { checkClientId, checkGroup } from "./validate.ts";

export function registrationOf(s: ClientSession) {
  return {
    clientId: s.clientId,
    producerGroups: [...s.producerGroups],
    consumerGroups: [...s.consumerGroups],
  };
}

/**
 * Heartbeat keeps a client registered. Unlike RocketMQ's proxy it does not insist on Telemetry settings first:
 * browsers (Connect / gRPC-Web over HTTP/1.1) cannot hold the bidi stream, and they work on server defaults.
 */
export function heartbeat(env: RpcEnv) {
  return async (request: HeartbeatRequest, call: CallContext): Promise<HeartbeatResponse> => {
    const bad = checkClientId(call.clientId) ?? (request.group ? checkGroup(request.group) : undefined);
    if (bad) return create(HeartbeatResponseSchema, { status: bad });
    const session = env.sessions.touch(call.clientId, request.clientType);
    if (request.group) session.consumerGroups.add(request.group.name);
    try {
      await env.backend.registerClient(registrationOf(session));
      return create(HeartbeatResponseSchema, { status: okStatus });
    } catch (err) {
      return create(HeartbeatResponseSchema, { status: statusOf(err) });
    }
  };
}

/** A client shutting down: forget its session and auto-renewed messages, unregister it from the brokers. */
export function notifyClientTermination(env: RpcEnv) {
  return async (
    _request: NotifyClientTerminationRequest,
    call: CallContext,
  ): Promise<NotifyClientTerminationResponse> => {
    const bad = checkClientId(call.clientId);
    if (bad) return create(NotifyClientTerminationResponseSchema, { status: bad });
    env.sessions.remove(call.clientId);
    env.renewer.dropClient(call.clientId);
    try {
      await env.backend.unregisterClient(call.clientId);
      return create(NotifyClientTerminationResponseSchema, { status: okStatus });
    } catch (err) {
      return create(NotifyClientTerminationResponseSchema, { status: statusOf(err) });
    }
  };
}
