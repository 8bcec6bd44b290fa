import { MqError } from "../../proto/error.ts";
import type { RemotingConnection, RemotingServer } from "../../proto/remoting/index.ts";
import {
  bodyReader,
  createRequest,
  decodeJsonBody,
  encodeJsonBody,
  readHeader,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import type { ConsumerRegistry, ConsumeType, MessageModel, SubscriptionData } from "../consumer-registry.ts";
import { ensureInnerTopic, type TopicCreation } from "../inner-topics.ts";
import type { MessageQueue, QueueLockTable } from "../queue-lock.ts";
import type { SubscriptionGroupTable } from "../subscription-group.ts";
import { getRetryTopic, validateGroup, validateTopic } from "../topic-validator.ts";
import { ok } from "./respond.ts";

export interface ConsumerManageDeps extends TopicCreation {
  api: BrokerApi;
  registry: ConsumerRegistry<RemotingConnection>;
  groups: SubscriptionGroupTable;
  locks: QueueLockTable;
  autoCreateSubscriptionGroup: boolean;
  onError?: (err: unknown) => void;
}

interface HeartbeatData {
  clientID: string;
  producerGroups: string[];
  consumers: Array<{
    groupName: string;
    consumeType: ConsumeType;
    messageModel: MessageModel;
    consumeFromWhere: string;
    subscriptions: SubscriptionData[];
  }>;
}

const CONSUME_TYPES = ["CONSUME_ACTIVELY", "CONSUME_PASSIVELY", "CONSUME_POP"];

/** Reads a HeartbeatData body; anything malformed is INVALID_PARAMETER naming the field. */
export function decodeHeartbeat(body: Uint8Array | undefined): HeartbeatData {
  const r = bodyReader("HeartbeatData");
  const o = r.object(decodeJsonBody(body, "HeartbeatData"), "$");
  const clientID = r.string(o.clientID, "clientID");
  if (clientID === "") throw new MqError(ResponseCode.INVALID_PARAMETER, "HeartbeatData clientID is empty");
  const producerGroups = r.array(o.producerDataSet, "producerDataSet", []).map((p, i) => {
    const group = r.string(r.object(p, `producerDataSet[${i}]`).groupName, `producerDataSet[${i}].groupName`);
    validateGroup(group);
    return group;
  });
  const consumers = r.array(o.consumerDataSet, "consumerDataSet", []).map((c, i) => {
    const at = `consumerDataSet[${i}]`;
    const d = r.object(c, at);
    const groupName = r.string(d.groupName, `${at}.groupName`);
    validateGroup(groupName);
    const consumeType = r.string(d.consumeType, `${at}.consumeType`, "CONSUME_PASSIVELY");
    const messageModel = r.string(d.messageModel, `${at}.messageModel`, "CLUSTERING");
    if (!CONSUME_TYPES.includes(consumeType))
      throw new MqError(ResponseCode.INVALID_PARAMETER, `${at}.consumeType ${consumeType} is unknown`);
    if (messageModel !== "CLUSTERING" && messageModel !== "BROADCASTING")
      throw new MqError(ResponseCode.INVALID_PARAMETER, `${at}.messageModel ${messageModel} is unknown`);
    const subscriptions = r.array(d.subscriptionDataSet, `${at}.subscriptionDataSet`, []).map((s, j) => {
      const sat = `${at}.subscriptionDataSet[${j}]`;
      const sd = r.object(s, sat);
      const topic = r.string(sd.topic, `${sat}.topic`);
      validateTopic(topic);
      const expressionType = r.string(sd.expressionType, `${sat}.expressionType`, "TAG");
      return {
        topic,
        subString: r.string(sd.subString, `${sat}.subString`, "*"),
        expressionType: expressionType === "SQL92" ? "SQL92" : "TAG",
        tagsSet: r.array(sd.tagsSet, `${sat}.tagsSet`, []).map((t) => String(t)),
        codeSet: r.array(sd.codeSet, `${sat}.codeSet`, []).map((t) => Number(t)),
        subVersion: r.number(sd.subVersion, `${sat}.subVersion`, 0),
        classFilterMode: r.boolean(sd.classFilterMode, `${sat}.classFilterMode`, false),
      } satisfies SubscriptionData;
    });
    return {
      groupName,
      consumeType: consumeType as ConsumeType,
      messageModel: messageModel as MessageModel,
      consumeFromWhere: r.string(d.consumeFromWhere, `${at}.consumeFromWhere`, "CONSUME_FROM_LAST_OFFSET"),
      subscriptions,
    };
  });
  return { clientID, producerGroups, consumers };
}

function decodeLockBody(body: Uint8Array | undefined): {
  group: string;
  clientId: string;
  mqs: MessageQueue[];
} {
  const r = bodyReader("LockBatchRequestBody");
  const o = r.object(decodeJsonBody(body, "LockBatchRequestBody"), "$");
  const group = r.string(o.consumerGroup, "consumerGroup");
  validateGroup(group);
  const mqs = r.array(o.mqSet, "mqSet", []).map((m, i) => {
    const q = r.object(m, `mqSet[${i}]`);
    return {
      topic: r.string(q.topic, `mqSet[${i}].topic`),
      brokerName: r.string(q.brokerName, `mqSet[${i}].brokerName`),
      queueId: r.number(q.queueId, `mqSet[${i}].queueId`),
    };
  });
  return { group, clientId: r.string(o.clientId, "clientId"), mqs };
}

/**
 * HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, QUERY/UPDATE_CONSUMER_OFFSET, LOCK/UNLOCK_BATCH_MQ
 * (ClientManageProcessor + ConsumerManageProcessor). Members joining or leaving a group are announced to the
 * group's other members with NOTIFY_CONSUMER_IDS_CHANGED so they rebalance at once.
 */
export function registerConsumerManageHandlers(
  server: RemotingServer,
  deps: ConsumerManageDeps,
): { notifyGroup: (group: string) => void } {
  const { registry } = deps;
  const watched = new WeakSet<RemotingConnection>();
  // Why a group's consumer was last refused, so the "no consumer" answer a client gets next can say why.
  const refusals = new Map<string, string>();
  const MAX_REFUSALS = 1024;

  const notifyGroup = (group: string, except?: RemotingConnection) => {
    if (deps.groups.get(group)?.notifyConsumerIdsChangedEnable === false) return;
    for (const client of registry.consumerGroup(group)?.clients.values() ?? []) {
      if (client.channel === except || client.channel.closed) continue;
      try {
        client.channel.invokeOneway(
          createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: group }),
        );
      } catch (err) {
        deps.onError?.(err);
      }
    }
  };

  const watch = (connection: RemotingConnection) => {
    if (watched.has(connection)) return;
    watched.add(connection);
    connection.onClose(() => {
      for (const group of registry.channelClosed(connection)) notifyGroup(group);
    });
  };

  const checkSubscription = (
    group: string,
    sub: Pick<SubscriptionData, "topic" | "subString" | "expressionType">,
  ) =>
    deps.api.checkSubscription(group, sub.topic, {
      expressionType: sub.expressionType,
      expression: sub.subString,
    });

  server.handle(RequestCode.HEART_BEAT, async (cmd, ctx) => {
    const hb = decodeHeartbeat(cmd.body);
    watch(ctx.connection);
    for (const group of hb.producerGroups) registry.registerProducer(group, hb.clientID, ctx.connection);
    // A consumer whose filter does not compile is not registered (it would hold queues it cannot consume); the
    // others are, and the answer names what was refused.
    const refused: MqError[] = [];
    for (const c of hb.consumers) {
      try {
        for (const sub of c.subscriptions) await checkSubscription(c.groupName, sub);
      } catch (err) {
        const e = MqError.from(err);
        refused.push(e);
        refusals.delete(c.groupName);
        if (refusals.size >= MAX_REFUSALS) refusals.delete(refusals.keys().next().value!);
        refusals.set(c.groupName, e.message);
        continue;
      }
      refusals.delete(c.groupName);
      const groupConfig = deps.groups.findOrCreate(c.groupName, deps.autoCreateSubscriptionGroup);
      if (groupConfig)
        ensureInnerTopic(deps, getRetryTopic(c.groupName), Math.max(1, groupConfig.retryQueueNums));
      const changed = registry.registerConsumer({
        group: c.groupName,
        clientId: hb.clientID,
        channel: ctx.connection,
        language: cmd.language,
        version: cmd.version,
        consumeType: c.consumeType,
        messageModel: c.messageModel,
        consumeFromWhere: c.consumeFromWhere,
        subscriptions: c.subscriptions,
      });
      if (changed.membersChanged) notifyGroup(c.groupName, ctx.connection);
    }
    if (refused.length > 0) throw new MqError(refused[0]!.code, refused.map((e) => e.message).join("; "));
    return ok(cmd);
  });

  // What a Java push consumer sends at start for each non-TAG subscription (checkClientInBroker): its start fails
  // with this answer, so a bad SQL92 expression is refused at subscribe time.
  server.handle(RequestCode.CHECK_CLIENT_CONFIG, async (cmd) => {
    const r = bodyReader("CheckClientRequestBody");
    const o = r.object(decodeJsonBody(cmd.body, "CheckClientRequestBody"), "$");
    const group = r.string(o.group, "group", "");
    if (o.subscriptionData === undefined || o.subscriptionData === null) return ok(cmd);
    const sd = r.object(o.subscriptionData, "subscriptionData");
    await checkSubscription(group, {
      topic: r.string(sd.topic, "subscriptionData.topic", ""),
      subString: r.string(sd.subString, "subscriptionData.subString", "*"),
      expressionType: r.string(sd.expressionType, "subscriptionData.expressionType", "TAG") as
        | "TAG"
        | "SQL92",
    });
    return ok(cmd);
  });

  server.handle(RequestCode.UNREGISTER_CLIENT, (cmd) => {
    const h = readHeader(cmd, { clientID: "string", producerGroup: "string?", consumerGroup: "string?" });
    if (h.producerGroup) registry.unregisterProducer(h.producerGroup, h.clientID);
    if (h.consumerGroup && registry.unregisterConsumer(h.consumerGroup, h.clientID))
      notifyGroup(h.consumerGroup);
    return ok(cmd);
  });

  server.handle(RequestCode.GET_CONSUMER_LIST_BY_GROUP, (cmd) => {
    const h = readHeader(cmd, { consumerGroup: "string" });
    const ids = registry.consumerIds(h.consumerGroup);
    if (ids.length === 0) {
      const why = refusals.get(h.consumerGroup);
      throw new MqError(
        ResponseCode.SYSTEM_ERROR,
        `no consumer for this group, ${h.consumerGroup}${why ? `; its heartbeat was refused: ${why}` : ""}`,
      );
    }
    return ok(cmd, undefined, encodeJsonBody({ consumerIdList: ids }));
  });

  server.handle(RequestCode.QUERY_CONSUMER_OFFSET, async (cmd) => {
    const h = readHeader(cmd, {
      consumerGroup: "string",
      topic: "string",
      queueId: "int",
      setZeroIfNotFound: "bool?",
    });
    const offset = await deps.api.queryConsumerOffset(h.consumerGroup, h.topic, h.queueId);
    if (offset >= 0) return ok(cmd, { offset });
    // A group seen for the first time on a queue that still starts at 0 consumes it from the start, as in
    // RocketMQ (ConsumerManageProcessor.queryConsumerOffset), unless the client asked for QUERY_NOT_FOUND.
    if (h.setZeroIfNotFound !== false && (await deps.api.getMinOffset(h.topic, h.queueId)) <= 0)
      return ok(cmd, { offset: 0 });
    throw new MqError(ResponseCode.QUERY_NOT_FOUND, "Not found, maybe this group consumer boot first");
  });

  server.handle(RequestCode.UPDATE_CONSUMER_OFFSET, async (cmd) => {
    const h = readHeader(cmd, {
      consumerGroup: "string",
      topic: "string",
      queueId: "int",
      commitOffset: "long",
    });
    await deps.api.updateConsumerOffset(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    return ok(cmd);
  });

  server.handle(RequestCode.LOCK_BATCH_MQ, (cmd) => {
    const b = decodeLockBody(cmd.body);
    const locked = deps.locks.tryLockBatch(b.group, b.clientId, b.mqs);
    return ok(cmd, undefined, encodeJsonBody({ lockOKMQSet: locked }));
  });

  server.handle(RequestCode.UNLOCK_BATCH_MQ, (cmd) => {
    const b = decodeLockBody(cmd.body);
    deps.locks.unlockBatch(b.group, b.clientId, b.mqs);
    return ok(cmd);
  });
  return { notifyGroup: (group) => notifyGroup(group) };
}
