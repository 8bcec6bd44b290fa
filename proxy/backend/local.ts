import type { BrokerApi, TransactionCheck as BrokerTransactionCheck } from "../../broker/index.ts";
import { MqError } from "../../proto/error.ts";
import { MessageConst, MessageSysFlag } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type {
  AckBatchRequest,
  AckRequest,
  Backend,
  ChangeInvisibleTimeRequest,
  ClientRegistration,
  ConsumerGroupInfo,
  DeadLetterRequest,
  EndTransactionRequest,
  FilterSpec,
  MessageToSend,
  PopRequest,
  PopResult,
  PullRequest,
  PullResult,
  QueueRef,
  SendResult,
  TopicMessageType,
  TopicRoute,
  TransactionCheck,
} from "./backend.ts";
import { decodeTransactionToken, encodeTransactionToken } from "./transaction-token.ts";

const MESSAGE_TYPES: readonly TopicMessageType[] = ["NORMAL", "FIFO", "DELAY", "TRANSACTION", "MIXED"];

/**
 * Local mode: the Backend over a broker in this process. Every call goes straight to its BrokerApi; the only
 * translation is naming (the proxy speaks remoting header words, the API its own) and refusing calls addressed
 * to a broker name that is not this one (a receipt handle from another cluster, say).
 */
export interface LocalBackendOptions {
  broker: BrokerApi;
}

export function createLocalBackend(options: LocalBackendOptions): Backend {
  const { broker } = options;
  const listeners = new Set<(check: TransactionCheck) => void>();
  // Subscribed to the broker while anyone listens: the broker calls in-process listeners for every open half
  // message due a check, and the proxy routes it to a producer of the group over Telemetry.
  let unsubscribeBroker: (() => void) | undefined;
  const onBrokerCheck = (c: BrokerTransactionCheck) => {
    const check: TransactionCheck = {
      brokerName: broker.identity().brokerName,
      producerGroup: c.producerGroup,
      transactionId: encodeTransactionToken(c.commitLogOffset, c.tranStateTableOffset, c.transactionId),
      message: c.message,
    };
    for (const listener of listeners) listener(check);
  };

  const check = (brokerName: string) => {
    const own = broker.identity().brokerName;
    if (brokerName !== own)
      throw new MqError(
        ResponseCode.BROKER_NOT_EXIST,
        `broker ${brokerName} is not served here (this is ${own})`,
      );
  };

  return {
    async getTopicRoute(topic: string): Promise<TopicRoute> {
      const config = await broker.getTopicConfig(topic);
      if (!config) throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} does not exist`);
      const declared = config.attributes["message.type"] as TopicMessageType | undefined;
      return {
        topic,
        messageType: declared && MESSAGE_TYPES.includes(declared) ? declared : "NORMAL",
        queueDatas: [
          {
            brokerName: broker.identity().brokerName,
            readQueueNums: config.readQueueNums,
            writeQueueNums: config.writeQueueNums,
            perm: config.perm,
          },
        ],
      };
    },

    async getConsumerGroup(consumerGroup: string): Promise<ConsumerGroupInfo> {
      const g = await broker.getSubscriptionGroup(consumerGroup);
      // An unknown group keeps the defaults; the broker creates it (or refuses it) on first use.
      return {
        consumerGroup,
        consumeMessageOrderly: g?.consumeMessageOrderly ?? false,
        retryMaxTimes: g?.retryMaxTimes ?? 16,
      };
    },

    checkSubscription(consumerGroup: string, topic: string, filter: FilterSpec): Promise<void> {
      return broker.checkSubscription(consumerGroup, topic, filter);
    },

    async sendMessage(brokerName: string, m: MessageToSend): Promise<SendResult> {
      check(brokerName);
      const prepared = m.properties[MessageConst.PROPERTY_TRANSACTION_PREPARED] === "true";
      const r = await broker.send(
        {
          topic: m.topic,
          body: m.body,
          flag: m.flag,
          properties: m.properties,
          queueId: m.queueId,
          sysFlag: prepared ? MessageSysFlag.TRANSACTION_PREPARED_TYPE : 0,
          bornTimestamp: m.bornTimestamp,
          bornHost: m.bornHost,
        },
        { producerGroup: m.properties[MessageConst.PROPERTY_PRODUCER_GROUP] },
      );
      return {
        sendStatus: r.status,
        msgId: r.uniqKey ?? r.msgId,
        offsetMsgId: r.msgId,
        queueId: r.queueId,
        queueOffset: r.queueOffset,
        transactionId: prepared
          ? encodeTransactionToken(r.commitLogOffset, r.queueOffset, r.uniqKey ?? r.msgId)
          : undefined,
        recallHandle: r.recallHandle,
      };
    },

    async popMessage(brokerName: string, request: PopRequest, signal?: AbortSignal): Promise<PopResult> {
      check(brokerName);
      const r = await broker.pop({
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: request.queueId,
        maxMsgNums: request.maxMsgNums,
        invisibleTimeMs: request.invisibleTime,
        pollTimeMs: request.pollTime,
        filter: request.filter,
        initMode: request.initMode === 0 ? "MIN" : "MAX",
        order: request.order,
        signal,
      });
      return { popStatus: r.status, messages: r.messages };
    },

    async ackMessage(brokerName: string, request: AckRequest): Promise<void> {
      check(brokerName);
      await broker.ack(request);
    },

    async ackMessages(brokerName: string, request: AckBatchRequest): Promise<Array<MqError | undefined>> {
      check(brokerName);
      return broker.ackBatch(request);
    },

    async changeInvisibleTime(brokerName: string, request: ChangeInvisibleTimeRequest): Promise<string> {
      check(brokerName);
      const r = await broker.changeInvisibleTime({
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        receiptHandle: request.receiptHandle,
        invisibleTimeMs: request.invisibleTime,
      });
      return r.receiptHandle;
    },

    async pullMessage(brokerName: string, request: PullRequest, signal?: AbortSignal): Promise<PullResult> {
      check(brokerName);
      const r = await broker.pull({
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: request.queueId,
        queueOffset: request.queueOffset,
        maxMsgNums: request.maxMsgNums,
        filter: request.filter,
        suspendTimeoutMs: request.pollTime,
        signal,
      });
      return {
        pullStatus: r.status,
        nextBeginOffset: r.nextBeginOffset,
        minOffset: r.minOffset,
        maxOffset: r.maxOffset,
        messages: r.messages,
      };
    },

    async queryConsumerOffset(brokerName: string, consumerGroup: string, q: QueueRef) {
      check(brokerName);
      const offset = await broker.queryConsumerOffset(consumerGroup, q.topic, q.queueId);
      return offset < 0 ? undefined : offset;
    },

    async updateConsumerOffset(brokerName: string, consumerGroup: string, q: QueueRef, offset: number) {
      check(brokerName);
      await broker.updateConsumerOffset(consumerGroup, q.topic, q.queueId, offset);
    },

    async getMinOffset(brokerName: string, q: QueueRef) {
      check(brokerName);
      return broker.getMinOffset(q.topic, q.queueId);
    },

    async getMaxOffset(brokerName: string, q: QueueRef) {
      check(brokerName);
      return broker.getMaxOffset(q.topic, q.queueId);
    },

    async searchOffset(brokerName: string, q: QueueRef, timestamp: number) {
      check(brokerName);
      return broker.searchOffset(q.topic, q.queueId, timestamp);
    },

    async endTransaction(brokerName: string, request: EndTransactionRequest): Promise<void> {
      check(brokerName);
      const t = decodeTransactionToken(request.transactionId);
      await broker.endTransaction({
        producerGroup: request.producerGroup,
        commitLogOffset: t.commitLogOffset,
        tranStateTableOffset: t.tranStateTableOffset,
        commitOrRollback: request.commit ? "COMMIT" : "ROLLBACK",
        fromTransactionCheck: request.fromTransactionCheck,
      });
    },

    async forwardToDeadLetterQueue(brokerName: string, request: DeadLetterRequest): Promise<void> {
      check(brokerName);
      await broker.forwardToDeadLetterQueue({
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        receiptHandle: request.receiptHandle,
      });
    },

    async recallMessage(brokerName: string, topic: string, recallHandle: string): Promise<string> {
      check(brokerName);
      return broker.recallMessage(topic, recallHandle);
    },

    // The broker reaches this proxy's producers through onTransactionCheck, not through registrations.
    async registerClient(_registration: ClientRegistration): Promise<void> {},

    async unregisterClient(_clientId: string): Promise<void> {},

    onTransactionCheck(listener: (check: TransactionCheck) => void): () => void {
      listeners.add(listener);
      unsubscribeBroker ??= broker.onTransactionCheck(onBrokerCheck);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          unsubscribeBroker?.();
          unsubscribeBroker = undefined;
        }
      };
    },

    async close(): Promise<void> {
      listeners.clear();
      unsubscribeBroker?.();
      unsubscribeBroker = undefined;
    },
  };
}
