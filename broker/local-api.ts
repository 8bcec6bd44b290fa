import { MqError } from "../proto/error.ts";
import { decodeOffsetMessageId } from "../proto/message/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  type AdminDeps,
  consumeStats,
  createSubscriptionGroup,
  createTopic,
  deleteSubscriptionGroup,
  deleteTopic,
  topicStats,
} from "./admin.ts";
import type { BrokerApi, BrokerIdentity, TransactionCheck } from "./broker-api.ts";
import type { PopService } from "./pop/pop-service.ts";
import { filterOf, type PullDeps, pullMessages } from "./pull.ts";
import { consumerSendMsgBack, type SendBackDeps } from "./retry.ts";
import type { Sender } from "./send.ts";
import type { TimerStore } from "./timer/index.ts";
import { decodeRecallHandle } from "./timer-messages.ts";
import { validateGroup, validateTopic } from "./topic-validator.ts";
import type { TransactionService } from "./transaction/transaction-service.ts";

export interface LocalApiParts {
  identity: () => BrokerIdentity;
  timer: TimerStore;
  transactions: TransactionService;
  /** Listeners asked to resolve open half messages in this process. */
  transactionCheckListeners: Set<(check: TransactionCheck) => void>;
  sender: Sender;
  pull: PullDeps;
  pop: PopService;
  sendBack: SendBackDeps;
  admin: AdminDeps;
}

function checkQueue(queueId: number): void {
  if (!Number.isInteger(queueId) || queueId < 0)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `queueId[${queueId}] is illegal`);
}

/** The BrokerApi of a broker in this process: every call goes straight to its parts. */
export function createLocalBrokerApi(parts: LocalApiParts): BrokerApi {
  const { admin } = parts;
  const { store, offsets, topics, groups } = admin;
  return {
    identity: parts.identity,
    send: (message, options) => parts.sender.send(message, options),
    sendBatch: (messages, options) => parts.sender.sendBatch(messages, options),
    pull: (request) => pullMessages(parts.pull, request),
    async checkSubscription(consumerGroup, topic, filter) {
      try {
        filterOf(parts.pull.config, filter);
      } catch (err) {
        const e = MqError.from(err);
        throw new MqError(
          e.code,
          `subscription of consumer group ${consumerGroup} to topic ${topic} (${filter.expressionType} "${filter.expression}") is refused: ${e.message}`,
        );
      }
    },
    pop: (request) => parts.pop.pop(request),
    ack: (request) => parts.pop.ack(request),
    ackBatch: (request) => parts.pop.ackBatch(request),
    changeInvisibleTime: (request) => parts.pop.changeInvisibleTime(request),
    forwardToDeadLetterQueue: (request) => parts.pop.forwardToDeadLetterQueue(request),
    consumerSendMsgBack: (request) => consumerSendMsgBack(parts.sendBack, request),
    endTransaction: (request) => parts.transactions.endTransaction(request),
    async recallMessage(topic, recallHandle) {
      validateTopic(topic);
      const h = decodeRecallHandle(recallHandle);
      if (h.topic !== topic || h.brokerName !== parts.identity().brokerName)
        throw new MqError(ResponseCode.INVALID_PARAMETER, "the recall handle is for another topic or broker");
      if (!(await parts.timer.cancel({ key: h.uniqKey, deliverAtMs: h.deliverAtMs })))
        throw new MqError(ResponseCode.NO_MESSAGE, "the message was already delivered or does not exist");
      return h.uniqKey;
    },
    onTransactionCheck(listener) {
      parts.transactionCheckListeners.add(listener);
      return () => parts.transactionCheckListeners.delete(listener);
    },

    async queryConsumerOffset(consumerGroup, topic, queueId) {
      validateGroup(consumerGroup);
      validateTopic(topic);
      checkQueue(queueId);
      return offsets.query(consumerGroup, topic, queueId);
    },
    async updateConsumerOffset(consumerGroup, topic, queueId, offset) {
      validateGroup(consumerGroup);
      validateTopic(topic);
      checkQueue(queueId);
      const tc = topics.get(topic);
      if (!tc) throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
      if (queueId >= tc.readQueueNums)
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          `queueId[${queueId}] is illegal for topic ${topic}`,
        );
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new MqError(ResponseCode.INVALID_PARAMETER, `offset ${offset} is illegal`);
      if (
        !groups.get(consumerGroup) &&
        !groups.findOrCreate(consumerGroup, parts.pull.config.autoCreateSubscriptionGroup)
      )
        throw new MqError(
          ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
          `subscription group [${consumerGroup}] does not exist`,
        );
      offsets.commit(consumerGroup, topic, queueId, offset);
    },
    async getMinOffset(topic, queueId) {
      validateTopic(topic);
      checkQueue(queueId);
      return store.getMinOffsetInQueue(topic, queueId);
    },
    async getMaxOffset(topic, queueId) {
      validateTopic(topic);
      checkQueue(queueId);
      return store.getMaxOffsetInQueue(topic, queueId);
    },
    async searchOffset(topic, queueId, timestamp, boundary = "LOWER") {
      validateTopic(topic);
      checkQueue(queueId);
      if (!Number.isSafeInteger(timestamp))
        throw new MqError(ResponseCode.INVALID_PARAMETER, `timestamp ${timestamp} is illegal`);
      const offset = store.getOffsetInQueueByTime(topic, queueId, timestamp);
      // UPPER: the last message stored at or before `timestamp`, as RocketMQ's BoundaryType.UPPER.
      if (boundary === "UPPER" && offset > store.getMinOffsetInQueue(topic, queueId)) {
        const at = store.getMessageStoreTimeStamp(topic, queueId, offset);
        if (at !== timestamp) return offset - 1;
      }
      return offset;
    },
    async getEarliestMsgStoreTime(topic, queueId) {
      validateTopic(topic);
      checkQueue(queueId);
      return Math.max(0, store.getEarliestMessageTime(topic, queueId));
    },

    createTopic: async (request) => createTopic(admin, request),
    deleteTopic: (topic) => deleteTopic(admin, topic),
    getTopicConfig: async (topic) => topics.get(topic),
    listTopics: async () => topics.all(),
    topicStats: (topic) => topicStats(admin, topic),
    consumeStats: (consumerGroup, topic) => consumeStats(admin, consumerGroup, topic),
    createSubscriptionGroup: async (config) => createSubscriptionGroup(admin, config),
    getSubscriptionGroup: async (group) => groups.get(group),
    deleteSubscriptionGroup: async (group) => deleteSubscriptionGroup(admin, group),

    async viewMessage(msgId) {
      const { commitLogOffset } = decodeOffsetMessageId(msgId);
      const msg = await store.lookMessageByOffset(commitLogOffset);
      if (!msg) throw new MqError(ResponseCode.QUERY_NOT_FOUND, `no message with id ${msgId}`);
      return msg;
    },
    async lookMessageByOffset(commitLogOffset) {
      if (!Number.isSafeInteger(commitLogOffset) || commitLogOffset < 0)
        throw new MqError(ResponseCode.INVALID_PARAMETER, `commit log offset ${commitLogOffset} is illegal`);
      return store.lookMessageByOffset(commitLogOffset) ?? undefined;
    },
    async queryMessageByKey(topic, key, maxNum, beginTimestamp = 0, endTimestamp = Number.MAX_SAFE_INTEGER) {
      validateTopic(topic);
      return store.queryMessageByKey(
        topic,
        key,
        Math.max(1, Math.min(maxNum, 64)),
        beginTimestamp,
        endTimestamp,
      );
    },
    async queryMessageByUniqKey(topic, uniqKey) {
      validateTopic(topic);
      return store.queryMessageByUniqKey(topic, uniqKey, 1)[0];
    },
  };
}
