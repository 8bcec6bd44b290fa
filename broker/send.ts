import { MqError } from "../proto/error.ts";
import {
  encodedSourceOf,
  getTransactionValue,
  MessageConst,
  MessageSysFlag,
} from "../proto/message/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { SendMessage, SendOptions, SendResult } from "./broker-api.ts";
import { autoCreateTopic, ensureInnerTopic, type TopicCreation } from "./inner-topics.ts";
import { checkWritable, type RoleState } from "./role-state.ts";
import type { MessageInput, MessageStore } from "./store/index.ts";
import type { SubscriptionGroupTable } from "./subscription-group.ts";
import { TIMER_KEY_MAX_BYTES, type TimerStore } from "./timer/index.ts";
import { encodeRecallHandle, timerDeliverAt } from "./timer-messages.ts";
import { isWriteable, PERM_READ, PERM_WRITE, type TopicConfig } from "./topic-config.ts";
import {
  createSendTopicCheck,
  getDLQTopic,
  isRetryTopic,
  RETRY_GROUP_TOPIC_PREFIX,
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_WHEEL_TIMER_TOPIC,
} from "./topic-validator.ts";
import type { TransactionService } from "./transaction/transaction-service.ts";

const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");

export interface SendConfig {
  brokerName: string;
  maxMessageSize: number;
  autoCreateTopicEnable: boolean;
  autoCreateSubscriptionGroup: boolean;
  /** Number of delay levels (messageDelayLevel); DELAY above it is clamped. */
  delayLevelCount: number;
  /** Longest delay a timer message may ask for (timerMaxDelaySec, in ms). */
  timerMaxDelayMs: number;
}

export interface SendDeps extends TopicCreation {
  store: MessageStore;
  groups: SubscriptionGroupTable;
  roleState: RoleState;
  config: SendConfig;
  /** Holds timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS) until they are due. */
  timer?: TimerStore;
  /** Takes PREPARED (half) messages of transactions. */
  transactions?: TransactionService;
  clock: () => number;
}

export interface Sender {
  send(message: SendMessage, options?: SendOptions): Promise<SendResult>;
  sendBatch(messages: SendMessage[], options?: SendOptions): Promise<SendResult[]>;
}

const TRANSIENT = MessageConst.PROPERTY_TRANSIENT_PREFIX;

/**
 * The DELAY level a producer asked for: 0 (or absent) = not delayed, 1..delayLevelCount = that level. Anything
 * else is refused rather than clamped (RocketMQ clamps to the last level), so a typo cannot silently become a
 * 2-hour delay.
 */
export function delayLevelOf(properties: Readonly<Record<string, string>>, delayLevelCount: number): number {
  const raw = properties[MessageConst.PROPERTY_DELAY_TIME_LEVEL];
  if (raw === undefined || raw.trim() === "") return 0;
  const level = /^\s*-?\d{1,10}\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(level) || level < 0 || level > delayLevelCount)
    throw new MqError(
      ResponseCode.MESSAGE_ILLEGAL,
      `delay level ${raw} is out of range: messageDelayLevel has levels 1..${delayLevelCount} (0 = no delay)`,
    );
  return level;
}

/**
 * The producer path (SendMessageProcessor): validate, find or auto-create the topic, pick a queue, turn retries
 * over the limit into DLQ messages and delayed messages into SCHEDULE_TOPIC_XXXX messages, then append.
 */
export function createSender(deps: SendDeps): Sender {
  const { store, config } = deps;
  const nextQueue = new Map<string, number>();

  const checkTopic: (topic: string | undefined) => asserts topic is string = createSendTopicCheck();

  const topicFor = (topic: string, options: SendOptions | undefined): TopicConfig => {
    checkTopic(topic);
    const found =
      deps.topics.get(topic) ??
      (isRetryTopic(topic)
        ? ensureInnerTopic(deps, topic, 1)
        : autoCreateTopic(deps, topic, options?.defaultTopicQueueNums, config.autoCreateTopicEnable));
    if (!isWriteable(found.perm))
      throw new MqError(ResponseCode.NO_PERMISSION, `the topic[${topic}] sending message is forbidden`);
    return found;
  };

  const queueFor = (tc: TopicConfig, queueId: number | undefined): number => {
    if (queueId === undefined || queueId < 0) {
      if (tc.writeQueueNums <= 0)
        throw new MqError(ResponseCode.NO_PERMISSION, `the topic[${tc.topicName}] has no write queue`);
      const n = nextQueue.get(tc.topicName) ?? 0;
      nextQueue.set(tc.topicName, (n + 1) % 0x7fffffff);
      return n % tc.writeQueueNums;
    }
    if (!Number.isInteger(queueId) || queueId >= Math.max(tc.writeQueueNums, tc.readQueueNums))
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `request queueId[${queueId}] is illegal, topic[${tc.topicName}] has ${tc.writeQueueNums} write queues`,
      );
    return queueId;
  };

  const checkBody = (m: SendMessage) => {
    if (!(m.body instanceof Uint8Array))
      throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "the message body is missing");
    if (m.body.length > config.maxMessageSize)
      throw new MqError(
        ResponseCode.MESSAGE_ILLEGAL,
        `the message body size ${m.body.length} exceeds the broker limit ${config.maxMessageSize}`,
      );
  };

  const cleanProperties = (p: Record<string, string> | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    if (!p) return out;
    for (const key in p) if (!key.startsWith(TRANSIENT) && p[key] !== undefined) out[key] = p[key]!;
    return out;
  };

  const toInput = (
    m: SendMessage,
    topic: string,
    queueId: number,
    properties: Record<string, string>,
    encodedProperties?: string,
  ) => {
    const input: MessageInput = {
      topic,
      queueId,
      body: m.body,
      flag: m.flag ?? 0,
      properties,
      sysFlag: m.sysFlag ?? 0,
      reconsumeTimes: m.reconsumeTimes ?? 0,
    };
    if (m.bornTimestamp !== undefined) input.bornTimestamp = m.bornTimestamp;
    if (m.bornHost !== undefined) input.bornHost = m.bornHost;
    if (encodedProperties !== undefined) input.encodedProperties = encodedProperties;
    return input;
  };

  /** Stores a timer message in the timer topic and schedules it. */
  const sendTimer = async (
    m: SendMessage,
    topic: string,
    properties: Record<string, string>,
    deliverAt: number,
  ): Promise<SendResult> => {
    const r = await store.putMessage(toInput(m, RMQ_SYS_WHEEL_TIMER_TOPIC, 0, properties));
    await deps.timer!.schedule({
      deliverAtMs: deliverAt,
      commitLogOffset: r.commitLogOffset,
      size: r.wroteBytes,
      ...(utf8Length(r.uniqKey) <= TIMER_KEY_MAX_BYTES ? { key: r.uniqKey } : {}),
    });
    return {
      status: "SEND_OK",
      msgId: r.msgId,
      uniqKey: r.uniqKey,
      topic: RMQ_SYS_WHEEL_TIMER_TOPIC,
      queueId: 0,
      queueOffset: r.queueOffset,
      commitLogOffset: r.commitLogOffset,
      ...(utf8Length(r.uniqKey) <= TIMER_KEY_MAX_BYTES
        ? { recallHandle: encodeRecallHandle(topic, config.brokerName, deliverAt, r.uniqKey) }
        : {}),
    };
  };

  /** send's work; throws synchronously on refusal, and chains the put instead of awaiting (no async frame). */
  const sendOne = (m: SendMessage, options: SendOptions | undefined): Promise<SendResult> => {
    checkWritable(deps.roleState, config.brokerName);
    checkBody(m);
    const tc = topicFor(m.topic, options);
    let topic = tc.topicName;
    let queueId = queueFor(tc, m.queueId);
    // Properties decoded from a request's string (SEND_MESSAGE) are stored as that string when nothing below
    // changes them: then they are only read here, and copied before any change.
    const source = encodedSourceOf(m.properties);
    const shared = source !== undefined && !source.transient;
    let properties = shared ? m.properties! : cleanProperties(m.properties);
    const writable = () => (properties === m.properties ? cleanProperties(m.properties) : properties);

    if (isRetryTopic(topic)) {
      const group = topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
      const groupConfig = deps.groups.findOrCreate(group, config.autoCreateSubscriptionGroup);
      if (!groupConfig)
        throw new MqError(
          ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
          `subscription group not exist, ${group}`,
        );
      const max = options?.maxReconsumeTimes ?? groupConfig.retryMaxTimes;
      if ((m.reconsumeTimes ?? 0) > max) {
        topic = getDLQTopic(group);
        queueId = 0;
        ensureInnerTopic(deps, topic, 1, PERM_READ | PERM_WRITE);
      }
    }

    let txType = getTransactionValue(m.sysFlag ?? 0);
    if (txType === 0 && properties[MessageConst.PROPERTY_TRANSACTION_PREPARED] === "true")
      txType = MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    if (txType === MessageSysFlag.TRANSACTION_PREPARED_TYPE && deps.transactions) {
      const input = toInput(m, topic, queueId, writable());
      input.sysFlag = (m.sysFlag ?? 0) | MessageSysFlag.TRANSACTION_PREPARED_TYPE;
      return deps.transactions.putHalf(input, options?.producerGroup).then((r) => ({
        status: "SEND_OK",
        msgId: r.msgId,
        uniqKey: r.uniqKey,
        topic: RMQ_SYS_TRANS_HALF_TOPIC,
        queueId: 0,
        queueOffset: r.queueOffset,
        commitLogOffset: r.commitLogOffset,
      }));
    }
    const isHalf =
      txType === MessageSysFlag.TRANSACTION_PREPARED_TYPE ||
      txType === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
    const now = deps.clock();
    const deliverAt = deps.timer && !isHalf ? timerDeliverAt(properties, now) : undefined;
    if (deps.timer && deliverAt !== undefined && deliverAt > now) {
      if (deliverAt - now > config.timerMaxDelayMs)
        throw new MqError(
          ResponseCode.MESSAGE_ILLEGAL,
          `timer message illegal: delivery in ${deliverAt - now} ms is beyond the maximum delay of ${config.timerMaxDelayMs} ms`,
        );
      properties = writable();
      properties[MessageConst.PROPERTY_REAL_TOPIC] = topic;
      properties[MessageConst.PROPERTY_REAL_QUEUE_ID] = String(queueId);
      properties[MessageConst.PROPERTY_TIMER_OUT_MS] = String(deliverAt);
      return sendTimer(m, topic, properties, deliverAt);
    }

    const delay = delayLevelOf(properties, config.delayLevelCount);
    if (delay > 0 && !isHalf) {
      const level = delay;
      properties = writable();
      properties[MessageConst.PROPERTY_DELAY_TIME_LEVEL] = String(level);
      properties[MessageConst.PROPERTY_REAL_TOPIC] = topic;
      properties[MessageConst.PROPERTY_REAL_QUEUE_ID] = String(queueId);
      topic = RMQ_SYS_SCHEDULE_TOPIC;
      queueId = level - 1;
    }

    const asIs = properties === m.properties ? source?.source : undefined;
    const finalTopic = topic;
    const finalQueueId = queueId;
    return store.putMessage(toInput(m, topic, queueId, properties, asIs)).then((r) => ({
      status: "SEND_OK",
      msgId: r.msgId,
      uniqKey: r.uniqKey,
      topic: finalTopic,
      queueId: finalQueueId,
      queueOffset: r.queueOffset,
      commitLogOffset: r.commitLogOffset,
    }));
  };

  return {
    send(m, options) {
      try {
        return sendOne(m, options);
      } catch (err) {
        return Promise.reject(err);
      }
    },

    async sendBatch(messages, options) {
      checkWritable(deps.roleState, config.brokerName);
      if (messages.length === 0) throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "the batch is empty");
      const topicName = messages[0]!.topic;
      let total = 0;
      for (const m of messages) {
        checkBody(m);
        total += m.body.length;
        if (m.topic !== topicName)
          throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "all messages of a batch must have the same topic");
        if (m.properties?.[MessageConst.PROPERTY_DELAY_TIME_LEVEL] !== undefined)
          throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "a batch may not contain delayed messages");
      }
      if (total > config.maxMessageSize)
        throw new MqError(
          ResponseCode.MESSAGE_ILLEGAL,
          `the batch body size ${total} exceeds the broker limit ${config.maxMessageSize}`,
        );
      if (isRetryTopic(topicName))
        throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "a batch may not be sent to a retry topic");
      const tc = topicFor(topicName, options);
      const queueId = queueFor(tc, messages[0]!.queueId);
      const inputs = messages.map((m) => toInput(m, tc.topicName, queueId, cleanProperties(m.properties)));
      const results = await store.putMessages(inputs);
      return results.map((r) => ({
        status: "SEND_OK" as const,
        msgId: r.msgId,
        uniqKey: r.uniqKey,
        topic: tc.topicName,
        queueId,
        queueOffset: r.queueOffset,
        commitLogOffset: r.commitLogOffset,
      }));
    },
  };
}
