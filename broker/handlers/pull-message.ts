import { MqError } from "../../proto/error.ts";
import type { RemotingConnection, RemotingServer } from "../../proto/remoting/index.ts";
import { createResponse, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi, PullStatus } from "../broker-api.ts";
import type { ConsumerRegistry } from "../consumer-registry.ts";
import type { FilterExpression } from "../filter/index.ts";

/** PullSysFlag bits. */
export const PullSysFlag = Object.freeze({
  COMMIT_OFFSET: 0x1,
  SUSPEND: 0x2,
  SUBSCRIPTION: 0x4,
  CLASS_FILTER: 0x8,
  LITE_PULL: 0x10,
});

const pullHeader = {
  consumerGroup: "string",
  topic: "string",
  queueId: "int",
  queueOffset: "long",
  maxMsgNums: "int",
  sysFlag: "int",
  commitOffset: "long?",
  suspendTimeoutMillis: "long?",
  subscription: "string?",
  subVersion: "long?",
  expressionType: "string?",
  maxMsgBytes: "int?",
} as const;

const CODE_OF: Record<PullStatus, number> = {
  FOUND: ResponseCode.SUCCESS,
  NO_NEW_MSG: ResponseCode.PULL_NOT_FOUND,
  NO_MATCHED_MSG: ResponseCode.PULL_RETRY_IMMEDIATELY,
  OFFSET_ILLEGAL: ResponseCode.PULL_OFFSET_MOVED,
};

const REMARK_OF: Record<PullStatus, string | undefined> = {
  FOUND: undefined,
  NO_NEW_MSG: "no new message",
  NO_MATCHED_MSG: "no matched message, retry immediately",
  OFFSET_ILLEGAL: "the pull offset is out of the queue's range",
};

export interface PullHandlerDeps {
  api: BrokerApi;
  registry: ConsumerRegistry<RemotingConnection>;
}

/**
 * PULL_MESSAGE: the subscription comes from the request (SUBSCRIPTION flag) or from the group's heartbeat; with the
 * SUSPEND flag the request is held (long polling) until a message arrives, the timeout passes or the client leaves.
 */
export function registerPullHandlers(server: RemotingServer, deps: PullHandlerDeps): void {
  const closedSignals = new WeakMap<RemotingConnection, AbortSignal>();
  /** Aborted when `connection` closes. */
  const closedSignal = (connection: RemotingConnection): AbortSignal => {
    let signal = closedSignals.get(connection);
    if (!signal) {
      const aborter = new AbortController();
      connection.onClose(() => aborter.abort());
      signal = aborter.signal;
      closedSignals.set(connection, signal);
    }
    return signal;
  };
  server.handle(RequestCode.PULL_MESSAGE, async (cmd, ctx) => {
    const h = readHeader(cmd, pullHeader);
    let filter: FilterExpression;
    if ((h.sysFlag & PullSysFlag.SUBSCRIPTION) !== 0) {
      filter = { expressionType: h.expressionType ?? "TAG", expression: h.subscription ?? "*" };
    } else {
      const sub = deps.registry.consumerGroup(h.consumerGroup)?.subscriptions.get(h.topic);
      if (!sub)
        throw new MqError(
          ResponseCode.SUBSCRIPTION_NOT_EXIST,
          `the consumer's subscription not exist, group: ${h.consumerGroup}, topic: ${h.topic}`,
        );
      filter = { expressionType: sub.expressionType, expression: sub.subString };
    }
    const suspend = (h.sysFlag & PullSysFlag.SUSPEND) !== 0 ? (h.suspendTimeoutMillis ?? 0) : 0;
    // A request that may be held must hear that its client left: one signal per connection serves them all.
    const signal = suspend > 0 ? closedSignal(ctx.connection) : undefined;
    const r = await deps.api.pull({
      consumerGroup: h.consumerGroup,
      topic: h.topic,
      queueId: h.queueId,
      queueOffset: h.queueOffset,
      maxMsgNums: h.maxMsgNums,
      ...(h.maxMsgBytes !== undefined ? { maxMsgBytes: h.maxMsgBytes } : {}),
      filter,
      suspendTimeoutMs: suspend,
      ...((h.sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 && h.commitOffset !== undefined
        ? { commitOffset: h.commitOffset }
        : {}),
      ...(signal ? { signal } : {}),
      bodyOnly: true,
    });
    return createResponse(
      cmd,
      CODE_OF[r.status],
      REMARK_OF[r.status],
      {
        suggestWhichBrokerId: 0,
        nextBeginOffset: r.nextBeginOffset,
        minOffset: r.minOffset,
        maxOffset: r.maxOffset,
      },
      r.status === "FOUND" ? r.body : undefined,
    );
  });
}
