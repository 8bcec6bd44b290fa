/**
 * The one interface the proxy talks to. Its words are RocketMQ's (brokerName, queueId, queueOffset,
 * consumerGroup, receiptHandle), so that Local mode (backend/local.ts, the broker in this process) and Cluster
 * mode (backend/cluster.ts, remoting to the nameserver and brokers) are two thin translations of the same calls.
 * Refusals and faults are thrown as MqError with a remoting response code; expected outcomes (no message yet,
 * offset moved, polling full) are return values.
 */

import type { MqError } from "../../proto/error.ts";
import type { MessageExt as RecordMessageExt } from "../../proto/message/index.ts";

/** Topic attribute `message.type`; MIXED accepts every type. */
export type TopicMessageType = "NORMAL" | "FIFO" | "DELAY" | "TRANSACTION" | "MIXED";

/** PermName bits, as carried in route data. */
export const PERM_READ = 4;
export const PERM_WRITE = 2;

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

export interface TopicRoute {
  topic: string;
  messageType: TopicMessageType;
  /** One entry per broker (master) holding the topic. */
  queueDatas: QueueData[];
}

export interface ConsumerGroupInfo {
  consumerGroup: string;
  /** FIFO group: messages of one message group are delivered in order, one at a time. */
  consumeMessageOrderly: boolean;
  /** Redeliveries before a message goes to %DLQ%group. */
  retryMaxTimes: number;
}

/** A message as the proxy hands it to a broker; the proxy has already chosen the queue. */
export interface MessageToSend {
  topic: string;
  queueId: number;
  body: Uint8Array;
  flag: number;
  /** User and system properties (TAGS, KEYS, UNIQ_KEY, __SHARDINGKEY, TIMER_DELIVER_MS, TRAN_MSG, PGROUP, ...). */
  properties: Record<string, string>;
  bornTimestamp: number;
  /** "ip:port" of the producer as the proxy saw it (the client's own hostname travels as __BORNHOST). */
  bornHost: string;
}

export type SendStatus = "SEND_OK" | "FLUSH_DISK_TIMEOUT" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE";

export interface SendResult {
  sendStatus: SendStatus;
  /** The client message id (UNIQ_KEY). */
  msgId: string;
  /** Server id: store host + commitLogOffset. */
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  /** Set for half (transaction) messages: what EndTransaction must quote. */
  transactionId?: string;
  /** Set for timer messages: the broker's recall handle (it names topic and broker), passed to clients as is. */
  recallHandle?: string;
}

/** A stored message as read back from a broker: the fields of a CommitLog record the proxy uses. */
export type MessageExt = Pick<
  RecordMessageExt,
  | "topic"
  | "queueId"
  | "queueOffset"
  | "commitLogOffset"
  | "body"
  | "flag"
  | "sysFlag"
  | "properties"
  | "bornTimestamp"
  | "bornHost"
  | "storeTimestamp"
  | "storeHost"
  | "reconsumeTimes"
  | "msgId"
>;

export interface FilterSpec {
  expressionType: "TAG" | "SQL92";
  /** TAG: `*` or `a || b`; SQL92: a property predicate. */
  expression: string;
}

export interface PopRequest {
  consumerGroup: string;
  topic: string;
  /** -1: any readable queue of the topic on this broker. */
  queueId: number;
  maxMsgNums: number;
  invisibleTime: number;
  /** Long-polling: how long the broker may hold the request open waiting for messages (ms). */
  pollTime: number;
  filter: FilterSpec;
  /** FIFO pop: one message group in flight at a time. */
  order: boolean;
  attemptId?: string;
  /** Where a new group starts: 0 = the queue's min offset, 1 = its max offset. */
  initMode: 0 | 1;
}

export type PopStatus = "FOUND" | "NO_NEW_MSG" | "POLLING_FULL" | "POLLING_NOT_FOUND";

export interface PoppedMessage extends MessageExt {
  /** The broker's pop checkpoint string (POP_CK): brokerName, queueId, offset, pop and invisible time. */
  receiptHandle: string;
}

export interface PopResult {
  popStatus: PopStatus;
  messages: PoppedMessage[];
}

export interface AckRequest {
  consumerGroup: string;
  /** The topic the client consumed (the handle says whether the message came from the retry topic). */
  topic: string;
  receiptHandle: string;
}

/** Receipt handles of one broker, group and topic, acked in one call. */
export interface AckBatchRequest {
  consumerGroup: string;
  topic: string;
  receiptHandles: readonly string[];
}

export interface ChangeInvisibleTimeRequest extends AckRequest {
  invisibleTime: number;
}

export type PullStatus = "FOUND" | "NO_NEW_MSG" | "NO_MATCHED_MSG" | "OFFSET_ILLEGAL";

export interface PullRequest {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  filter: FilterSpec;
  /** Long-polling time (ms); 0 answers at once. */
  pollTime: number;
}

export interface PullResult {
  pullStatus: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: MessageExt[];
}

export interface QueueRef {
  topic: string;
  queueId: number;
}

export interface EndTransactionRequest {
  topic: string;
  producerGroup: string;
  /** The client message id of the half message (UNIQ_KEY). */
  msgId: string;
  transactionId: string;
  commit: boolean;
  fromTransactionCheck: boolean;
}

export interface DeadLetterRequest {
  consumerGroup: string;
  topic: string;
  receiptHandle: string;
  msgId: string;
}

/** A half message the broker wants a producer of `producerGroup` to resolve (commit or roll back). */
export interface TransactionCheck {
  brokerName: string;
  producerGroup: string;
  /** The client that sent the half message, when the broker knows it. */
  clientId?: string;
  transactionId: string;
  message: MessageExt;
}

export interface ClientRegistration {
  clientId: string;
  /** Producer groups (the v2 proxy uses the topic name) and consumer groups this client belongs to. */
  producerGroups: string[];
  consumerGroups: string[];
}

export interface Backend {
  /** Which brokers hold a topic; MqError TOPIC_NOT_EXIST when none does. */
  getTopicRoute(topic: string): Promise<TopicRoute>;
  /** A consumer group's settings; MqError SUBSCRIPTION_GROUP_NOT_EXIST when the broker does not know it. */
  getConsumerGroup(consumerGroup: string): Promise<ConsumerGroupInfo>;
  /** Refuses a subscription whose filter the broker cannot compile (MqError SUBSCRIPTION_PARSE_FAILED). */
  checkSubscription(consumerGroup: string, topic: string, filter: FilterSpec): Promise<void>;
  sendMessage(brokerName: string, message: MessageToSend): Promise<SendResult>;
  /** Pops with long polling: resolves when messages arrive, pollTime passes, or `signal` aborts. */
  popMessage(brokerName: string, request: PopRequest, signal?: AbortSignal): Promise<PopResult>;
  ackMessage(brokerName: string, request: AckRequest): Promise<void>;
  /**
   * Acks several handles of one broker in one request (BATCH_ACK_MESSAGE in Cluster mode). Per handle, in order:
   * undefined when acked, else that handle's refusal. Throws only when the whole call failed.
   */
  ackMessages(brokerName: string, request: AckBatchRequest): Promise<Array<MqError | undefined>>;
  /** Resolves with the new receipt handle, which replaces the old one. */
  changeInvisibleTime(brokerName: string, request: ChangeInvisibleTimeRequest): Promise<string>;
  pullMessage(brokerName: string, request: PullRequest, signal?: AbortSignal): Promise<PullResult>;
  /** Committed offset of a group on a queue; undefined when it has none. */
  queryConsumerOffset(
    brokerName: string,
    consumerGroup: string,
    queue: QueueRef,
  ): Promise<number | undefined>;
  updateConsumerOffset(
    brokerName: string,
    consumerGroup: string,
    queue: QueueRef,
    offset: number,
  ): Promise<void>;
  getMinOffset(brokerName: string, queue: QueueRef): Promise<number>;
  getMaxOffset(brokerName: string, queue: QueueRef): Promise<number>;
  /** First queue offset stored at or after `timestamp`. */
  searchOffset(brokerName: string, queue: QueueRef, timestamp: number): Promise<number>;
  endTransaction(brokerName: string, request: EndTransactionRequest): Promise<void>;
  /** Moves a popped message to %DLQ%group and acknowledges it. */
  forwardToDeadLetterQueue(brokerName: string, request: DeadLetterRequest): Promise<void>;
  /** Cancels a timer message not yet delivered; resolves with its message id. */
  recallMessage(brokerName: string, topic: string, recallHandle: string): Promise<string>;
  /** Tells the brokers a client is alive and which groups it is in (producers get transaction checks). */
  registerClient(registration: ClientRegistration): Promise<void>;
  unregisterClient(clientId: string): Promise<void>;
  /** Subscribes to transaction check-backs; returns an unsubscribe function. */
  onTransactionCheck(listener: (check: TransactionCheck) => void): () => void;
  close(): Promise<void>;
}
