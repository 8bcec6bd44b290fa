import { MqError } from "../../proto/error.ts";
import type { RemotingConnection, RemotingServer } from "../../proto/remoting/index.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import type { ConsumerRegistry } from "../consumer-registry.ts";
import type { SubscriptionGroupConfig, SubscriptionGroupTable } from "../subscription-group.ts";
import type { TopicConfigTable } from "../topic-config.ts";
import { encodeMessageQueueMap } from "./message-queue-map.ts";
import { ok } from "./respond.ts";

export interface AdminHandlerDeps {
  api: BrokerApi;
  topics: TopicConfigTable;
  groups: SubscriptionGroupTable;
  registry: ConsumerRegistry<RemotingConnection>;
}

const utf8 = new TextEncoder();

/** Topic, subscription group and consumer admin requests (AdminBrokerProcessor). */
export function registerAdminTopicHandlers(server: RemotingServer, deps: AdminHandlerDeps): void {
  const { api } = deps;
  const brokerName = () => api.identity().brokerName;

  server.handle(RequestCode.UPDATE_AND_CREATE_TOPIC, async (cmd) => {
    const h = readHeader(cmd, {
      topic: "string",
      defaultTopic: "string?",
      readQueueNums: "int?",
      writeQueueNums: "int?",
      perm: "int?",
      topicFilterType: "string?",
      topicSysFlag: "int?",
      order: "bool?",
      attributes: "string?",
      force: "bool?",
    });
    await api.createTopic({
      topic: h.topic,
      ...(h.readQueueNums !== undefined ? { readQueueNums: h.readQueueNums } : {}),
      ...(h.writeQueueNums !== undefined ? { writeQueueNums: h.writeQueueNums } : {}),
      ...(h.perm !== undefined ? { perm: h.perm } : {}),
      ...(h.topicFilterType === "MULTI_TAG" || h.topicFilterType === "SINGLE_TAG"
        ? { topicFilterType: h.topicFilterType }
        : {}),
      ...(h.topicSysFlag !== undefined ? { topicSysFlag: h.topicSysFlag } : {}),
      ...(h.order !== undefined ? { order: h.order } : {}),
      ...(h.attributes !== undefined ? { attributes: h.attributes } : {}),
    });
    return ok(cmd);
  });

  server.handle(RequestCode.DELETE_TOPIC_IN_BROKER, async (cmd) => {
    const h = readHeader(cmd, { topic: "string" });
    await api.deleteTopic(h.topic);
    return ok(cmd);
  });

  server.handle(RequestCode.GET_ALL_TOPIC_CONFIG, (cmd) =>
    ok(
      cmd,
      undefined,
      encodeJsonBody({
        topicConfigTable: Object.fromEntries(deps.topics.all().map((t) => [t.topicName, t])),
        dataVersion: deps.topics.dataVersion(),
      }),
    ),
  );

  server.handle(RequestCode.GET_TOPIC_CONFIG, async (cmd) => {
    const h = readHeader(cmd, { topic: "string" });
    const tc = await api.getTopicConfig(h.topic);
    if (!tc) throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${h.topic}`);
    return ok(cmd, undefined, encodeJsonBody({ topicConfig: tc }));
  });

  server.handle(RequestCode.GET_TOPIC_STATS_INFO, async (cmd) => {
    const h = readHeader(cmd, { topic: "string" });
    const stats = await api.topicStats(h.topic);
    const table = encodeMessageQueueMap(
      stats.map((s) => [
        { topic: h.topic, brokerName: brokerName(), queueId: s.queueId },
        { lastUpdateTimestamp: s.lastUpdateTimestamp, maxOffset: s.maxOffset, minOffset: s.minOffset },
      ]),
    );
    return ok(cmd, undefined, utf8.encode(`{"offsetTable":${table}}`));
  });

  server.handle(RequestCode.GET_CONSUME_STATS, async (cmd) => {
    const h = readHeader(cmd, { consumerGroup: "string", topic: "string?" });
    const stats = await api.consumeStats(h.consumerGroup, h.topic || undefined);
    const table = encodeMessageQueueMap(
      stats.queues.map((q) => [
        { topic: q.topic, brokerName: q.brokerName, queueId: q.queueId },
        {
          brokerOffset: q.brokerOffset,
          consumerOffset: q.consumerOffset,
          lastTimestamp: q.lastTimestamp,
          pullOffset: q.consumerOffset,
        },
      ]),
    );
    return ok(cmd, undefined, utf8.encode(`{"consumeTps":${stats.consumeTps},"offsetTable":${table}}`));
  });

  server.handle(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, async (cmd) => {
    const r = bodyReader("SubscriptionGroupConfig");
    const o = r.object(decodeJsonBody(cmd.body, "SubscriptionGroupConfig"), "$");
    const groupName = r.string(o.groupName, "groupName");
    const fields: Partial<SubscriptionGroupConfig> & { groupName: string } = { groupName };
    for (const key of [
      "consumeEnable",
      "consumeFromMinEnable",
      "consumeBroadcastEnable",
      "consumeMessageOrderly",
      "notifyConsumerIdsChangedEnable",
    ] as const)
      if (o[key] !== undefined) fields[key] = r.boolean(o[key], key);
    for (const key of [
      "retryQueueNums",
      "retryMaxTimes",
      "brokerId",
      "whichBrokerWhenConsumeSlowly",
      "groupSysFlag",
      "consumeTimeoutMinute",
    ] as const)
      if (o[key] !== undefined) fields[key] = r.number(o[key], key);
    await api.createSubscriptionGroup(fields);
    return ok(cmd);
  });

  server.handle(RequestCode.DELETE_SUBSCRIPTIONGROUP, async (cmd) => {
    const h = readHeader(cmd, { groupName: "string" });
    await api.deleteSubscriptionGroup(h.groupName);
    return ok(cmd);
  });

  server.handle(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, (cmd) =>
    ok(
      cmd,
      undefined,
      encodeJsonBody({
        subscriptionGroupTable: Object.fromEntries(deps.groups.all().map((g) => [g.groupName, g])),
        dataVersion: deps.groups.dataVersion(),
      }),
    ),
  );

  server.handle(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, async (cmd) => {
    const h = readHeader(cmd, { group: "string" });
    const g = await api.getSubscriptionGroup(h.group);
    if (!g)
      throw new MqError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group ${h.group} not exist`);
    return ok(cmd, undefined, encodeJsonBody(g));
  });

  server.handle(RequestCode.GET_CONSUMER_CONNECTION_LIST, (cmd) => {
    const h = readHeader(cmd, { consumerGroup: "string" });
    const info = deps.registry.consumerGroup(h.consumerGroup);
    if (!info)
      throw new MqError(
        ResponseCode.CONSUMER_NOT_ONLINE,
        `the consumer group[${h.consumerGroup}] not online`,
      );
    return ok(
      cmd,
      undefined,
      encodeJsonBody({
        connectionSet: [...info.clients.values()].map((c) => ({
          clientId: c.clientId,
          clientAddr: c.channel.remoteAddress,
          language: c.language,
          version: c.version,
        })),
        subscriptionTable: Object.fromEntries(info.subscriptions),
        consumeType: info.consumeType,
        messageModel: info.messageModel,
        consumeFromWhere: info.consumeFromWhere,
      }),
    );
  });

  server.handle(RequestCode.GET_PRODUCER_CONNECTION_LIST, (cmd) => {
    const h = readHeader(cmd, { producerGroup: "string" });
    const producers = deps.registry.producers(h.producerGroup);
    if (producers.length === 0)
      throw new MqError(ResponseCode.SYSTEM_ERROR, `the producer group[${h.producerGroup}] not exist`);
    return ok(
      cmd,
      undefined,
      encodeJsonBody({
        connectionSet: producers.map((p) => ({ clientId: p.clientId, clientAddr: p.channel.remoteAddress })),
      }),
    );
  });
}
