/**
 * RocketMQ remoting: frame and header codecs, RemotingCommand helpers, the generic header reader, nameserver
 * bodies and headers, and (net.ts) the socket server and client. See README.md.
 */

export {
  type BatchAck,
  type BatchAckFailure,
  decodeBatchAckBody,
  decodeBatchAckFailures,
  encodeBatchAckBody,
  encodeBatchAckFailures,
  MAX_BATCH_ACK_OFFSETS,
} from "./batch-ack-body.ts";
export type {
  ConnectionOptions,
  RemotingConnection,
  RemotingContext,
  RemotingHandler,
  Transport,
} from "./connection.ts";
export { crc32, rocketmqCrc32 } from "./crc32.ts";
export {
  type HeaderFieldKind,
  type HeaderFieldSpec,
  type HeaderOf,
  type HeaderSchema,
  type HeaderValue,
  type HeaderValues,
  readHeader,
  toExtFields,
} from "./custom-header.ts";
export { RemotingDecodeError, type RemotingDecodeReason } from "./decode-error.ts";
export {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_SIZE,
  decodeFrame,
  defaultFrameDecoderOptions,
  encodeFrame,
  type FrameDecoder,
  type FrameDecoderOptions,
} from "./frame.ts";
export { bodyReader, decodeJsonBody, encodeJsonBody, parseLenientJson, quoteBareKeys } from "./json-body.ts";
export { LanguageCode, type LanguageCodeName } from "./language-code.ts";
export { NamesrvHeader } from "./namesrv-headers.ts";
export {
  createRemotingClient,
  createRemotingServer,
  defaultRemotingClientOptions,
  defaultRemotingServerOptions,
  defaultSocketApi,
  RemotingClient,
  type RemotingClientOptions,
  RemotingServer,
  type RemotingServerOptions,
  type SocketApi,
} from "./net.ts";
export {
  type BrokerRegistration,
  createBrokerHeartbeatRequest,
  createRegisterBrokerRequest,
  createUnregisterBrokerRequest,
  decodeRegisterBrokerBody,
  type RegisterBrokerBody,
  type RegisterBrokerOutcome,
  type RemotingInvoker,
  registerBrokerAll,
} from "./register-broker.ts";
export {
  createRequest,
  createResponse,
  ensureResponseCode,
  errorToResponse,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  isOneway,
  isResponse,
  MQ_VERSION,
  type RemotingCommand,
  SerializeType,
  type SerializeTypeName,
} from "./remoting-command.ts";
export {
  type BrokerData,
  type ClusterInfo,
  type DataVersion,
  decodeClusterInfo,
  decodeDataVersion,
  decodeKVTable,
  decodeTopicList,
  decodeTopicRouteData,
  defaultTopicConfig,
  type KVTable,
  MASTER_ID,
  PermName,
  type QueueData,
  readDataVersion,
  readTopicConfig,
  type TopicConfig,
  type TopicList,
  type TopicRouteData,
} from "./route-data.ts";
