import type { MqError } from "../proto/error.ts";
import type { MessageExt } from "../proto/message/index.ts";
import type { FilterExpression } from "./filter/index.ts";
import type { SubscriptionGroupConfig } from "./subscription-group.ts";
import type { TopicConfig, TopicMessageType } from "./topic-config.ts";

/*
 * The one in-process broker API (architecture.md, "One broker API, three front doors"). The broker's remoting
 * handlers adapt RemotingCommands to it, the proxy in Local mode calls it directly, and the proxy in Cluster mode
 * calls a remoting-backed implementation of the same interface. Every method is async; refusals and faults throw
 * MqError (codes from proto/response-code.ts), expected outcomes ("no message yet") are return values.
 */

/** A message to store. Properties are RocketMQ's (TAGS, KEYS, UNIQ_KEY, DELAY, ...). */
export interface SendMessage {
  topic: string;
  body: Uint8Array;
  /** User flag (int). */
  flag?: number;
  properties?: Record<string, string>;
  /** A queue of the topic, or -1 / undefined to let the broker pick (round robin over write queues). */
  queueId?: number;
  /** MessageSysFlag bits the producer sets (COMPRESSED, transaction type). */
  sysFlag?: number;
  bornTimestamp?: number;
  /** "ip:port" of the producer. */
  bornHost?: string;
  reconsumeTimes?: number;
}

export interface SendOptions {
  producerGroup?: string;
  /** Producer-side override of the retry limit carried by retry messages (header maxReconsumeTimes). */
  maxReconsumeTimes?: number;
  /** Queue count for an auto-created topic (header defaultTopicQueueNums); capped by the broker's default. */
  defaultTopicQueueNums?: number;
}

export type SendStatus = "SEND_OK" | "FLUSH_DISK_TIMEOUT" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE";

export interface SendResult {
  status: SendStatus;
  /** Offset message id: store host + CommitLog offset. */
  msgId: string;
  /** The client's UNIQ_KEY, when the message carried one. */
  uniqKey?: string;
  /** Where the message landed; for a delayed message, the schedule topic's queue. */
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  /** For a timer message: what recallMessage takes to cancel it before delivery. */
  recallHandle?: string;
}

export type PullStatus = "FOUND" | "NO_NEW_MSG" | "NO_MATCHED_MSG" | "OFFSET_ILLEGAL";

export interface PullRequest {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  /** Stop adding messages past this many bytes (default: broker limit). */
  maxMsgBytes?: number;
  /** TAG or SQL92; absent = every message. */
  filter?: FilterExpression;
  /** Long polling: hold the request up to this long when the queue has nothing new (0 = answer at once). */
  suspendTimeoutMs?: number;
  /** Commit this consumer offset along with the pull (PullSysFlag COMMIT_OFFSET). */
  commitOffset?: number;
  /** Aborting ends a held request early (answered as if the hold timed out). */
  signal?: AbortSignal;
  /** Answer with the records' stored bytes in `body` instead of decoded `messages` (PULL_MESSAGE's body). */
  bodyOnly?: boolean;
}

export interface PullResult {
  status: PullStatus;
  /** Where the next pull of this queue should start. */
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Only for FOUND without bodyOnly; each carries its `raw` record bytes. */
  messages: MessageExt[];
  /** Only for FOUND with bodyOnly: the records back to back, as stored. */
  body?: Uint8Array;
}

export interface PopRequest {
  consumerGroup: string;
  topic: string;
  /** A queue, or -1 for every readable queue of the topic. */
  queueId: number;
  maxMsgNums: number;
  /** How long popped messages stay invisible before they come back unless acked. */
  invisibleTimeMs: number;
  /** Long polling: wait up to this long for a message when none is ready (0 = answer at once). */
  pollTimeMs?: number;
  filter?: FilterExpression;
  /** Where a group without a committed offset starts: MIN = queue start, MAX = queue end (default). */
  initMode?: "MIN" | "MAX";
  /**
   * FIFO: a queue hands the group one batch at a time, blocked until acked or its invisible time ends, then
   * redelivers the unacked messages in order from the queue itself (receipt handles carry reviveQid 999).
   */
  order?: boolean;
  /** Aborting ends a held request early (answered as if the poll timed out). */
  signal?: AbortSignal;
}

/** A popped message: the stored message (topic restored for retries) plus how to ack it. */
export interface PoppedMessage extends MessageExt {
  /** ExtraInfo: see broker/pop/receipt-handle.ts. Also set as property POP_CK. */
  receiptHandle: string;
}

export interface PopResult {
  status: "FOUND" | "NO_NEW_MSG";
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  /** Messages left in the queues read (backlog hint). */
  restNum: number;
  messages: PoppedMessage[];
}

export interface AckRequest {
  consumerGroup: string;
  topic: string;
  receiptHandle: string;
}

/** Several receipt handles of one group and topic, acked together (BATCH_ACK_MESSAGE, AckMessage with entries). */
export interface AckBatchRequest {
  consumerGroup: string;
  topic: string;
  receiptHandles: readonly string[];
}

/** Per receipt handle, in request order: undefined when acked, else why that one was refused. */
export type AckBatchResult = Array<MqError | undefined>;

export interface ChangeInvisibleTimeRequest extends AckRequest {
  invisibleTimeMs: number;
}

export interface ChangeInvisibleTimeResult {
  /** Replaces the old handle, which is no longer valid. */
  receiptHandle: string;
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
}

export interface ConsumerSendMsgBackRequest {
  consumerGroup: string;
  /** CommitLog offset of the message that failed. */
  commitLogOffset: number;
  /** 0 = broker picks (3 + reconsumeTimes), < 0 = straight to the DLQ, > 0 = that delay level. */
  delayLevel: number;
  originMsgId?: string;
  originTopic?: string;
  /** Overrides the group's retryMaxTimes. */
  maxReconsumeTimes?: number;
}

export type BoundaryType = "LOWER" | "UPPER";

export interface CreateTopicRequest {
  topic: string;
  readQueueNums?: number;
  writeQueueNums?: number;
  perm?: number;
  order?: boolean;
  topicFilterType?: "SINGLE_TAG" | "MULTI_TAG";
  topicSysFlag?: number;
  /** Shorthand for the attribute `+message.type=<type>`. */
  messageType?: TopicMessageType;
  /** RocketMQ 5 AttributeParser form: `+message.type=FIFO,-queue.type`. */
  attributes?: string;
}

export interface QueueStats {
  queueId: number;
  minOffset: number;
  maxOffset: number;
  /** Store time of the newest message in the queue, 0 if empty. */
  lastUpdateTimestamp: number;
}

export interface ConsumeQueueProgress {
  topic: string;
  queueId: number;
  brokerName: string;
  brokerOffset: number;
  /** -1 when the group never committed an offset on this queue. */
  consumerOffset: number;
  /** Store time of the last consumed message, 0 if unknown. */
  lastTimestamp: number;
}

export interface ConsumeStats {
  consumerGroup: string;
  queues: ConsumeQueueProgress[];
  /** Σ (brokerOffset − max(consumerOffset, 0)) over the group's queues. */
  diffTotal: number;
  consumeTps: number;
}

export interface EndTransactionRequest {
  producerGroup: string;
  /** CommitLog offset of the half message (from the send result's offset msgId). */
  commitLogOffset: number;
  /** Queue offset of the half message (the send result's queueOffset); checked when given. */
  tranStateTableOffset?: number;
  commitOrRollback: "COMMIT" | "ROLLBACK" | "UNKNOWN";
  fromTransactionCheck?: boolean;
}

/** The broker asks a producer group to resolve a half message it has not heard about in time. */
export interface TransactionCheck {
  producerGroup: string;
  transactionId: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  /** The half message with its real topic and queue restored. */
  message: MessageExt;
}

export interface BrokerIdentity {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  /** "ip:port" clients use. */
  brokerAddr: string;
}

export interface BrokerApi {
  /** Who answers: routing of receipt handles and message ids depends on it. */
  identity(): BrokerIdentity;

  send(message: SendMessage, options?: SendOptions): Promise<SendResult>;
  /** All messages go to one topic and one queue, stored contiguously. */
  sendBatch(messages: SendMessage[], options?: SendOptions): Promise<SendResult[]>;

  pull(request: PullRequest): Promise<PullResult>;

  /**
   * Refuses a subscription whose filter would fail every pull: a TAG/SQL92 expression that does not compile
   * (SUBSCRIPTION_PARSE_FAILED) or SQL92 on a broker without enablePropertyFilter. The error names group, topic and
   * problem. HEART_BEAT and CHECK_CLIENT_CONFIG use it; so can a proxy when a client subscribes.
   */
  checkSubscription(consumerGroup: string, topic: string, filter: FilterExpression): Promise<void>;

  pop(request: PopRequest): Promise<PopResult>;
  ack(request: AckRequest): Promise<void>;
  /**
   * Acks several handles, writing one revive-log record per checkpoint rather than one per handle. A bad handle
   * gets its own error in the result; a bad group or topic throws for the whole batch.
   */
  ackBatch(request: AckBatchRequest): Promise<AckBatchResult>;
  changeInvisibleTime(request: ChangeInvisibleTimeRequest): Promise<ChangeInvisibleTimeResult>;
  /** Sends a popped message to %DLQ%group at once and acks it (gRPC ForwardMessageToDeadLetterQueue). */
  forwardToDeadLetterQueue(request: AckRequest): Promise<void>;

  consumerSendMsgBack(request: ConsumerSendMsgBackRequest): Promise<void>;
  /**
   * Cancels a timer message not yet delivered; resolves with its UNIQ_KEY. NO_MESSAGE when it was already delivered
   * (or never existed), INVALID_PARAMETER for a malformed handle or one of another topic or broker.
   */
  recallMessage(topic: string, recallHandle: string): Promise<string>;

  /**
   * Commits (re-puts to the real topic) or rolls back a half message sent with sysFlag TRANSACTION_PREPARED
   * (or property TRAN_MSG=true). Resolving one twice is harmless; UNKNOWN leaves it to the check-back.
   */
  endTransaction(request: EndTransactionRequest): Promise<void>;
  /** In-process listeners asked to resolve open half messages (remoting producers get CHECK_TRANSACTION_STATE). */
  onTransactionCheck(listener: (check: TransactionCheck) => void): () => void;

  queryConsumerOffset(consumerGroup: string, topic: string, queueId: number): Promise<number>;
  updateConsumerOffset(consumerGroup: string, topic: string, queueId: number, offset: number): Promise<void>;
  getMinOffset(topic: string, queueId: number): Promise<number>;
  getMaxOffset(topic: string, queueId: number): Promise<number>;
  searchOffset(topic: string, queueId: number, timestamp: number, boundary?: BoundaryType): Promise<number>;
  getEarliestMsgStoreTime(topic: string, queueId: number): Promise<number>;

  createTopic(request: CreateTopicRequest): Promise<TopicConfig>;
  deleteTopic(topic: string): Promise<void>;
  getTopicConfig(topic: string): Promise<TopicConfig | undefined>;
  listTopics(): Promise<TopicConfig[]>;
  topicStats(topic: string): Promise<QueueStats[]>;
  /** Per-queue progress of a group on `topic`, or on every topic it has offsets for. */
  consumeStats(consumerGroup: string, topic?: string): Promise<ConsumeStats>;

  createSubscriptionGroup(config: Partial<SubscriptionGroupConfig> & { groupName: string }): Promise<void>;
  getSubscriptionGroup(group: string): Promise<SubscriptionGroupConfig | undefined>;
  deleteSubscriptionGroup(group: string): Promise<void>;

  /** By offset message id (the broker's own host part is not checked). Throws QUERY_NOT_FOUND. */
  viewMessage(msgId: string): Promise<MessageExt>;
  lookMessageByOffset(commitLogOffset: number): Promise<MessageExt | undefined>;
  queryMessageByKey(
    topic: string,
    key: string,
    maxNum: number,
    beginTimestamp?: number,
    endTimestamp?: number,
  ): Promise<MessageExt[]>;
  queryMessageByUniqKey(topic: string, uniqKey: string): Promise<MessageExt | undefined>;
}
