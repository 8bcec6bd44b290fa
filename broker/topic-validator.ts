import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";

/** Reserved names, spelled as in RocketMQ's TopicValidator / MixAll so a grep of the Java sources hits. */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = "TBW102";
export const RMQ_SYS_SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX";
export const RMQ_SYS_BENCHMARK_TOPIC = "BenchmarkTest";
export const RMQ_SYS_TRANS_HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC";
export const RMQ_SYS_TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC";
export const RMQ_SYS_TRANS_OP_HALF_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
export const RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC = "TRANS_CHECK_MAX_TIME_TOPIC";
export const RMQ_SYS_SELF_TEST_TOPIC = "SELF_TEST_TOPIC";
export const RMQ_SYS_OFFSET_MOVED_EVENT = "OFFSET_MOVED_EVENT";
export const RMQ_SYS_WHEEL_TIMER_TOPIC = "rmq_sys_wheel_timer";
export const SYSTEM_TOPIC_PREFIX = "rmq_sys_";
export const REVIVE_TOPIC_PREFIX = "rmq_sys_REVIVE_LOG_";
export const RETRY_GROUP_TOPIC_PREFIX = "%RETRY%";
export const DLQ_GROUP_TOPIC_PREFIX = "%DLQ%";
export const CID_RMQ_SYS_PREFIX = "CID_RMQ_SYS_";
export const CID_RMQ_SYS_REVIVE_GROUP = "CID_RMQ_SYS_REVIVE_GROUP";

export const TOPIC_MAX_LENGTH = 127;
/** %RETRY% / %DLQ% topics are built from a group (≤ 120) and, for pop retries, a topic: RocketMQ allows 255. */
export const INNER_TOPIC_MAX_LENGTH = 255;
export const GROUP_MAX_LENGTH = 120;

const LEGAL = /^[%|a-zA-Z0-9_-]+$/;

const NOT_ALLOWED_SEND = new Set([
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_WHEEL_TIMER_TOPIC,
  AUTO_CREATE_TOPIC_KEY_TOPIC,
]);

const SYSTEM_TOPICS = new Set([
  ...NOT_ALLOWED_SEND,
  RMQ_SYS_BENCHMARK_TOPIC,
  RMQ_SYS_TRACE_TOPIC,
  RMQ_SYS_SELF_TEST_TOPIC,
  RMQ_SYS_OFFSET_MOVED_EVENT,
]);

/** Throws INVALID_PARAMETER unless `topic` is a legal topic name. */
export function validateTopic(topic: string | undefined): asserts topic is string {
  if (topic === undefined || topic.trim() === "")
    throw new MqError(ResponseCode.INVALID_PARAMETER, "The specified topic is blank");
  const inner = topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
  const max = inner ? INNER_TOPIC_MAX_LENGTH : TOPIC_MAX_LENGTH;
  if (topic.length > max)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The specified topic is longer than topic max length ${max}`,
    );
  if (!LEGAL.test(topic))
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The specified topic[${truncate(topic)}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`,
    );
}

/** Throws INVALID_PARAMETER unless `group` is a legal consumer/producer group name. */
export function validateGroup(group: string | undefined): asserts group is string {
  if (group === undefined || group.trim() === "")
    throw new MqError(ResponseCode.INVALID_PARAMETER, "The specified group is blank");
  if (group.length > GROUP_MAX_LENGTH)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The specified group is longer than group max length ${GROUP_MAX_LENGTH}`,
    );
  if (!LEGAL.test(group))
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `The specified group[${truncate(group)}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`,
    );
}

export interface SendTopicCheckOptions {
  /** Legal, sendable names remembered; the memory is emptied when full (a burst of new names only costs checks). */
  maxEntries: number;
}

export const defaultSendTopicCheckOptions: Readonly<SendTopicCheckOptions> = Object.freeze({
  maxEntries: 4096,
});

/**
 * validateTopic and isNotAllowedSendTopic for the topic of a send, remembered per name that passed both: a
 * producer names the same few topics in every request. Refused names are not remembered and are refused every
 * time: INVALID_PARAMETER for an illegal name, NO_PERMISSION for a topic producers may not write.
 */
export function createSendTopicCheck(
  options: Readonly<SendTopicCheckOptions> = defaultSendTopicCheckOptions,
): (topic: string | undefined) => asserts topic is string {
  const passed = new Set<string>();
  // Consecutive sends mostly name the same topic: comparing with the last is cheaper than hashing a new string.
  let last: string | undefined;
  return (topic) => {
    if (topic === last && topic !== undefined) return;
    if (topic === undefined || !passed.has(topic)) {
      validateTopic(topic);
      if (isNotAllowedSendTopic(topic))
        throw new MqError(ResponseCode.NO_PERMISSION, `Sending message to topic[${topic}] is forbidden.`);
      if (passed.size >= options.maxEntries) passed.clear();
      passed.add(topic);
    }
    last = topic;
  };
}

export function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
}

/** Producers may not write to the broker's own bookkeeping topics. */
export function isNotAllowedSendTopic(topic: string): boolean {
  return NOT_ALLOWED_SEND.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
}

export function isSystemGroup(group: string): boolean {
  return group.startsWith(CID_RMQ_SYS_PREFIX);
}

export function getRetryTopic(consumerGroup: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + consumerGroup;
}

export function getDLQTopic(consumerGroup: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + consumerGroup;
}

/** KeyBuilder.buildPopRetryTopicV1: pop redeliveries of `topic` for `consumerGroup`. */
export function buildPopRetryTopic(topic: string, consumerGroup: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + consumerGroup + "_" + topic;
}

export function isRetryTopic(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
}

export function isDLQTopic(topic: string): boolean {
  return topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}

export function reviveTopicOf(clusterName: string): string {
  return REVIVE_TOPIC_PREFIX + clusterName;
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
}
