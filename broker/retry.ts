import { MqError } from "../proto/error.ts";
import { MessageConst, type MessageExt } from "../proto/message/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { ConsumerSendMsgBackRequest } from "./broker-api.ts";
import { ensureInnerTopic, type TopicCreation } from "./inner-topics.ts";
import { checkWritable, type RoleState } from "./role-state.ts";
import type { MessageInput, MessageStore } from "./store/index.ts";
import type { SubscriptionGroupTable } from "./subscription-group.ts";
import { PERM_READ, PERM_WRITE } from "./topic-config.ts";
import { getDLQTopic, getRetryTopic, RMQ_SYS_SCHEDULE_TOPIC, validateGroup } from "./topic-validator.ts";

/** A stored message re-put under another topic/queue (retry, DLQ, revive, delayed delivery). */
export function reputInput(
  msg: MessageExt,
  topic: string,
  queueId: number,
  properties: Record<string, string>,
  reconsumeTimes: number,
): MessageInput {
  return {
    topic,
    queueId,
    body: msg.body,
    flag: msg.flag,
    properties,
    bornTimestamp: msg.bornTimestamp,
    bornHost: msg.bornHost,
    reconsumeTimes,
    sysFlag: msg.sysFlag,
  };
}

/** Properties of a message going to `%DLQ%group`: where it came from. */
export function dlqProperties(msg: MessageExt, originTopic: string): Record<string, string> {
  const p = { ...msg.properties };
  delete p[MessageConst.PROPERTY_POP_CK];
  delete p[MessageConst.PROPERTY_DELAY_TIME_LEVEL];
  p[MessageConst.PROPERTY_DLQ_ORIGIN_TOPIC] = originTopic;
  p[MessageConst.PROPERTY_DLQ_ORIGIN_MESSAGE_ID] =
    msg.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? msg.msgId;
  return p;
}

export interface SendBackDeps extends TopicCreation {
  store: MessageStore;
  groups: SubscriptionGroupTable;
  roleState: RoleState;
  config: { brokerName: string; autoCreateSubscriptionGroup: boolean; delayLevelCount: number };
}

/**
 * CONSUMER_SEND_MSG_BACK: a push consumer failed a message. It goes to %RETRY%group with a delay (level
 * 3 + reconsumeTimes unless the client chose one), or to %DLQ%group once reconsumeTimes reaches the limit or
 * the client asks for the DLQ (delayLevel < 0).
 */
export async function consumerSendMsgBack(
  deps: SendBackDeps,
  req: ConsumerSendMsgBackRequest,
): Promise<void> {
  checkWritable(deps.roleState, deps.config.brokerName);
  validateGroup(req.consumerGroup);
  const group = deps.groups.findOrCreate(req.consumerGroup, deps.config.autoCreateSubscriptionGroup);
  if (!group)
    throw new MqError(
      ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
      `subscription group not exist, ${req.consumerGroup}`,
    );
  if (group.retryQueueNums <= 0) return;
  if (!Number.isSafeInteger(req.commitLogOffset) || req.commitLogOffset < 0)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal commit log offset ${req.commitLogOffset}`);
  // 0 = the broker's schedule (3 + reconsumeTimes, capped at the last level); a level the client names must exist
  if (!Number.isInteger(req.delayLevel) || req.delayLevel > deps.config.delayLevelCount)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `delay level ${req.delayLevel} is out of range: messageDelayLevel has levels 1..${deps.config.delayLevelCount} (0 = broker's choice, < 0 = DLQ)`,
    );
  const msg = await deps.store.lookMessageByOffset(req.commitLogOffset);
  if (!msg)
    throw new MqError(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${req.commitLogOffset}`);

  const properties = { ...msg.properties };
  delete properties[MessageConst.PROPERTY_POP_CK];
  const originTopic = properties[MessageConst.PROPERTY_RETRY_TOPIC] ?? req.originTopic ?? msg.topic;
  if (properties[MessageConst.PROPERTY_RETRY_TOPIC] === undefined)
    properties[MessageConst.PROPERTY_RETRY_TOPIC] = originTopic;
  if (properties[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] === undefined)
    properties[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] = req.originMsgId ?? msg.msgId;

  const max = req.maxReconsumeTimes ?? group.retryMaxTimes;
  const reconsumeTimes = msg.reconsumeTimes;
  if (reconsumeTimes >= max || req.delayLevel < 0) {
    const dlq = getDLQTopic(req.consumerGroup);
    ensureInnerTopic(deps, dlq, 1, PERM_READ | PERM_WRITE);
    await deps.store.putMessage(
      reputInput(msg, dlq, 0, dlqProperties({ ...msg, properties }, originTopic), reconsumeTimes + 1),
    );
    return;
  }

  const retry = getRetryTopic(req.consumerGroup);
  const retryConfig = ensureInnerTopic(deps, retry, group.retryQueueNums);
  const queueId = Math.floor(Math.random() * Math.max(1, retryConfig.writeQueueNums));
  const level = Math.min(
    req.delayLevel === 0 ? 3 + reconsumeTimes : req.delayLevel,
    deps.config.delayLevelCount,
  );
  properties[MessageConst.PROPERTY_DELAY_TIME_LEVEL] = String(level);
  properties[MessageConst.PROPERTY_REAL_TOPIC] = retry;
  properties[MessageConst.PROPERTY_REAL_QUEUE_ID] = String(queueId);
  await deps.store.putMessage(
    reputInput(msg, RMQ_SYS_SCHEDULE_TOPIC, level - 1, properties, reconsumeTimes + 1),
  );
}
