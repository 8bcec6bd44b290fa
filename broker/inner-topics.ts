import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  newTopicConfig,
  PERM_INHERIT,
  PERM_READ,
  PERM_WRITE,
  type TopicConfig,
  type TopicConfigTable,
} from "./topic-config.ts";
import { AUTO_CREATE_TOPIC_KEY_TOPIC } from "./topic-validator.ts";

/** What auto-creating a topic needs: the table and who to tell (registration with the nameservers). */
export interface TopicCreation {
  topics: TopicConfigTable;
  onTopicCreated: (config: TopicConfig) => void;
}

/**
 * Creates a broker-owned topic (%RETRY%, %DLQ%, pop retry, system topics) unless it exists
 * (TopicConfigManager.createTopicInSendMessageBackMethod).
 */
export function ensureInnerTopic(
  c: TopicCreation,
  topic: string,
  queueNums: number,
  perm: number = PERM_READ | PERM_WRITE,
): TopicConfig {
  const found = c.topics.get(topic);
  if (found) return found;
  const { config, created } = c.topics.createIfAbsent(
    newTopicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm }),
  );
  if (created) c.onTopicCreated(config);
  return config;
}

/**
 * Creates a topic a producer sends to for the first time (createTopicInSendMessageMethod): queue count
 * min(requested, TBW102's), perm TBW102's without INHERIT. TOPIC_NOT_EXIST when auto-creation is off.
 */
export function autoCreateTopic(
  c: TopicCreation,
  topic: string,
  requestedQueueNums: number | undefined,
  autoCreateTopicEnable: boolean,
): TopicConfig {
  const template = c.topics.get(AUTO_CREATE_TOPIC_KEY_TOPIC);
  if (!autoCreateTopicEnable || !template || (template.perm & PERM_INHERIT) === 0) {
    throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
  }
  const requested =
    requestedQueueNums && requestedQueueNums > 0 ? requestedQueueNums : template.writeQueueNums;
  const queueNums = Math.min(requested, template.writeQueueNums);
  const { config, created } = c.topics.createIfAbsent(
    newTopicConfig(topic, {
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      perm: template.perm & ~PERM_INHERIT,
    }),
  );
  if (created) c.onTopicCreated(config);
  return config;
}
