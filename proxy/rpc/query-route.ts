import { create } from "@bufbuild/protobuf";
import {
  type Broker,
  BrokerSchema,
  Code,
  type MessageQueue,
  MessageQueueSchema,
  MessageType,
  Permission,
  type QueryAssignmentRequest,
  type QueryAssignmentResponse,
  QueryAssignmentResponseSchema,
  type QueryRouteRequest,
  type QueryRouteResponse,
  QueryRouteResponseSchema,
} from "../../proto/v2.ts";
import { PERM_READ, PERM_WRITE, type TopicMessageType, type TopicRoute } from "../backend/backend.ts";
import { okStatus, status, statusOf } from "../status.ts";
import type { RpcEnv } from "./env.ts";
import { checkGroup, checkTopic } from "./validate.ts";

/** The message types a topic accepts, as QueryRoute advertises them (the SDK checks sends against them). */
export function acceptMessageTypes(t: TopicMessageType): MessageType[] {
  switch (t) {
    case "FIFO":
      return [MessageType.FIFO];
    case "DELAY":
      return [MessageType.DELAY];
    case "TRANSACTION":
      return [MessageType.TRANSACTION];
    case "MIXED":
      return [MessageType.NORMAL, MessageType.FIFO, MessageType.DELAY, MessageType.TRANSACTION];
    default:
      return [MessageType.NORMAL];
  }
}

function brokerOf(env: RpcEnv, brokerName: string): Broker {
  // Clients dial the broker endpoints for everything after QueryRoute: they must be this proxy.
  return create(BrokerSchema, { name: brokerName, id: 0, endpoints: env.endpoints() });
}

/**
 * The queues of a route: per broker, ids 0..n-1 with the permission each id has (an id below both counts is
 * READ_WRITE). Queue 0 always exists when the broker has any queue, which the Node SDK insists on.
 */
export function messageQueuesOf(env: RpcEnv, route: TopicRoute): MessageQueue[] {
  const out: MessageQueue[] = [];
  const accept = acceptMessageTypes(route.messageType);
  for (const qd of route.queueDatas) {
    const broker = brokerOf(env, qd.brokerName);
    const readable = (qd.perm & PERM_READ) !== 0;
    const writable = (qd.perm & PERM_WRITE) !== 0;
    const n = Math.max(qd.readQueueNums, qd.writeQueueNums);
    for (let id = 0; id < n; id++) {
      const r = readable && id < qd.readQueueNums;
      const w = writable && id < qd.writeQueueNums;
      const permission =
        r && w ? Permission.READ_WRITE : r ? Permission.READ : w ? Permission.WRITE : Permission.NONE;
      out.push(
        create(MessageQueueSchema, {
          topic: { name: route.topic },
          id,
          permission,
          broker,
          acceptMessageTypes: accept,
        }),
      );
    }
  }
  return out;
}

export function queryRoute(env: RpcEnv) {
  return async (request: QueryRouteRequest): Promise<QueryRouteResponse> => {
    const bad = checkTopic(request.topic);
    if (bad) return create(QueryRouteResponseSchema, { status: bad });
    try {
      const route = await env.backend.getTopicRoute(request.topic!.name);
      return create(QueryRouteResponseSchema, {
        status: okStatus,
        messageQueues: messageQueuesOf(env, route),
      });
    } catch (err) {
      return create(QueryRouteResponseSchema, { status: statusOf(err) });
    }
  };
}

/**
 * PushConsumer load balancing. A normal group pops from any queue of each broker (queue id -1, the broker
 * balances); a FIFO group gets every readable queue so one message group stays on one queue.
 */
export function queryAssignment(env: RpcEnv) {
  return async (request: QueryAssignmentRequest): Promise<QueryAssignmentResponse> => {
    const bad = checkTopic(request.topic) ?? checkGroup(request.group);
    if (bad) return create(QueryAssignmentResponseSchema, { status: bad });
    try {
      const route = await env.backend.getTopicRoute(request.topic!.name);
      const group = await env.backend.getConsumerGroup(request.group!.name);
      const accept = acceptMessageTypes(route.messageType);
      const assignments = [];
      for (const qd of route.queueDatas) {
        if ((qd.perm & PERM_READ) === 0 || qd.readQueueNums <= 0) continue;
        const ids = group.consumeMessageOrderly ? [...Array(qd.readQueueNums).keys()] : [-1];
        for (const id of ids)
          assignments.push({
            messageQueue: create(MessageQueueSchema, {
              topic: { name: route.topic },
              id,
              permission: Permission.READ,
              broker: brokerOf(env, qd.brokerName),
              acceptMessageTypes: accept,
            }),
          });
      }
      if (assignments.length === 0)
        return create(QueryAssignmentResponseSchema, { status: status(Code.FORBIDDEN, "no readable queue") });
      return create(QueryAssignmentResponseSchema, { status: okStatus, assignments });
    } catch (err) {
      return create(QueryAssignmentResponseSchema, { status: statusOf(err) });
    }
  };
}
