/** The broker role: createBroker and the one in-process BrokerApi every front door uses. See README.md. */
export {
  Broker,
  type BrokerConfig,
  type BrokerOptions,
  createBroker,
  defaultBrokerOptions,
} from "./broker.ts";
export type {
  AckRequest,
  BoundaryType,
  BrokerApi,
  BrokerIdentity,
  ChangeInvisibleTimeRequest,
  ChangeInvisibleTimeResult,
  ConsumeQueueProgress,
  ConsumerSendMsgBackRequest,
  ConsumeStats,
  CreateTopicRequest,
  EndTransactionRequest,
  PoppedMessage,
  PopRequest,
  PopResult,
  PullRequest,
  PullResult,
  PullStatus,
  QueueStats,
  SendMessage,
  SendOptions,
  SendResult,
  SendStatus,
  TransactionCheck,
} from "./broker-api.ts";
export { decodeReceiptHandle, encodeReceiptHandle, type ReceiptHandle } from "./pop/receipt-handle.ts";
export type { BrokerRole } from "./role-state.ts";
export type { SubscriptionGroupConfig } from "./subscription-group.ts";
export type { DataVersion, TopicConfig, TopicMessageType } from "./topic-config.ts";
