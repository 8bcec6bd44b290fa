import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { ConsumeQueueProgress, ConsumeStats, CreateTopicRequest, QueueStats } from "./broker-api.ts";
import type { ConsumerOffsetTable } from "./consumer-offset.ts";
import type { MessageStore } from "./store/index.ts";
import {
  newSubscriptionGroupConfig,
  type SubscriptionGroupConfig,
  type SubscriptionGroupTable,
} from "./subscription-group.ts";
import {
  alterAttributes,
  MESSAGE_TYPE_ATTRIBUTE,
  newTopicConfig,
  PERM_READ,
  PERM_WRITE,
  type TopicConfig,
  type TopicConfigTable,
} from "./topic-config.ts";
import {
  buildPopRetryTopic,
  isSystemGroup,
  isSystemTopic,
  validateGroup,
  validateTopic,
} from "./topic-validator.ts";

export interface AdminDeps {
  store: MessageStore;
  topics: TopicConfigTable;
  groups: SubscriptionGroupTable;
  offsets: ConsumerOffsetTable;
  config: { clusterName: string; brokerName: string; defaultTopicQueueNums: number };
  /** Topics were created, changed or deleted: tell the nameservers. */
  onTopicsChanged: () => void;
}

export const MAX_QUEUE_NUMS = 1024;

function queueNums(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_QUEUE_NUMS)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `${name} ${n} is illegal, expected 1..${MAX_QUEUE_NUMS}`,
    );
  return n;
}

/** UPDATE_AND_CREATE_TOPIC: creates or updates a topic (queue counts, perm, order flag, attributes). */
export function createTopic(deps: AdminDeps, req: CreateTopicRequest): TopicConfig {
  validateTopic(req.topic);
  if (isSystemTopic(req.topic))
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The topic[${req.topic}] is conflict with system topic.`,
    );
  if (req.topic === deps.config.clusterName || req.topic === deps.config.brokerName)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The topic[${req.topic}] is conflict with the cluster or broker name.`,
    );
  const existing = deps.topics.get(req.topic);
  const fallback = deps.config.defaultTopicQueueNums;
  const perm = req.perm ?? existing?.perm ?? PERM_READ | PERM_WRITE;
  if (!Number.isInteger(perm) || perm < 0 || perm > 15)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `perm ${perm} is illegal`);
  let attributes = alterAttributes(existing?.attributes ?? {}, req.attributes, !existing);
  if (req.messageType !== undefined)
    attributes = alterAttributes(attributes, `+${MESSAGE_TYPE_ATTRIBUTE}=${req.messageType}`, !existing);
  const config = newTopicConfig(req.topic, {
    readQueueNums: queueNums(req.readQueueNums, existing?.readQueueNums ?? fallback, "readQueueNums"),
    writeQueueNums: queueNums(req.writeQueueNums, existing?.writeQueueNums ?? fallback, "writeQueueNums"),
    perm,
    topicFilterType: req.topicFilterType ?? existing?.topicFilterType ?? "SINGLE_TAG",
    topicSysFlag: req.topicSysFlag ?? existing?.topicSysFlag ?? 0,
    order: req.order ?? existing?.order ?? false,
    attributes,
  });
  if (deps.topics.put(config)) deps.onTopicsChanged();
  return config;
}

/** DELETE_TOPIC_IN_BROKER: the topic, its queues, its consumer offsets and its pop retry topics. */
export async function deleteTopic(deps: AdminDeps, topic: string): Promise<void> {
  validateTopic(topic);
  if (isSystemTopic(topic))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `The specified topic[${topic}] is a system topic`);
  const doomed = [topic];
  for (const group of deps.offsets.groupsOf(topic)) {
    const popRetry = buildPopRetryTopic(topic, group);
    if (deps.topics.get(popRetry)) doomed.push(popRetry);
  }
  let changed = false;
  for (const t of doomed) {
    changed = deps.topics.remove(t) || changed;
    deps.offsets.removeTopic(t);
    await deps.store.deleteTopic(t);
  }
  if (changed) deps.onTopicsChanged();
}

/** Store time of the message at `queueOffset`, 0 if it is gone or the offset is empty. */
async function storeTimeAt(store: MessageStore, topic: string, queueId: number, queueOffset: number) {
  if (queueOffset < 0) return 0;
  const r = await store.getMessages({ topic, queueId, queueOffset, maxCount: 1 });
  return r.messages[0]?.storeTimestamp ?? 0;
}

/** GET_TOPIC_STATS_INFO: min/max offset and last store time of each queue. TOPIC_NOT_EXIST if unknown. */
export async function topicStats(deps: AdminDeps, topic: string): Promise<QueueStats[]> {
  const tc = deps.topics.get(topic);
  if (!tc) throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const out: QueueStats[] = [];
  const n = Math.max(tc.writeQueueNums, tc.readQueueNums);
  for (let queueId = 0; queueId < n; queueId++) {
    const minOffset = deps.store.getMinOffsetInQueue(topic, queueId);
    const maxOffset = deps.store.getMaxOffsetInQueue(topic, queueId);
    const lastUpdateTimestamp =
      maxOffset > minOffset ? await storeTimeAt(deps.store, topic, queueId, maxOffset - 1) : 0;
    out.push({ queueId, minOffset, maxOffset, lastUpdateTimestamp });
  }
  return out;
}

/** GET_CONSUME_STATS: broker offset vs committed offset per queue of `topic`, or of every topic the group uses. */
export async function consumeStats(
  deps: AdminDeps,
  consumerGroup: string,
  topic?: string,
): Promise<ConsumeStats> {
  validateGroup(consumerGroup);
  const topics = topic !== undefined ? [topic] : deps.offsets.topicsOf(consumerGroup).sort();
  if (topic !== undefined && !deps.topics.get(topic))
    throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const queues: ConsumeQueueProgress[] = [];
  let diffTotal = 0;
  for (const t of topics) {
    const tc = deps.topics.get(t);
    if (!tc) continue;
    for (let queueId = 0; queueId < tc.readQueueNums; queueId++) {
      const brokerOffset = deps.store.getMaxOffsetInQueue(t, queueId);
      const consumerOffset = deps.offsets.query(consumerGroup, t, queueId);
      const lastTimestamp =
        consumerOffset > 0 ? await storeTimeAt(deps.store, t, queueId, consumerOffset - 1) : 0;
      diffTotal += Math.max(0, brokerOffset - Math.max(consumerOffset, 0));
      queues.push({
        topic: t,
        queueId,
        brokerName: deps.config.brokerName,
        brokerOffset,
        consumerOffset,
        lastTimestamp,
      });
    }
  }
  return { consumerGroup, queues, diffTotal, consumeTps: 0 };
}

/** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP. */
export function createSubscriptionGroup(
  deps: AdminDeps,
  config: Partial<SubscriptionGroupConfig> & { groupName: string },
): void {
  validateGroup(config.groupName);
  const { groupName, ...fields } = config;
  const existing = deps.groups.get(groupName);
  const merged = newSubscriptionGroupConfig(groupName, { ...(existing ?? {}), ...fields });
  if (!Number.isInteger(merged.retryMaxTimes) || merged.retryMaxTimes < -1)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `retryMaxTimes ${merged.retryMaxTimes} is illegal`);
  deps.groups.put(merged);
}

export function deleteSubscriptionGroup(deps: AdminDeps, group: string): void {
  validateGroup(group);
  if (isSystemGroup(group))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `The group[${group}] is a system group`);
  deps.groups.remove(group);
}
