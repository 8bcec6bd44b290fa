/** The broker's message store: CommitLog, ConsumeQueues, IndexFile, checkpoint and recovery. Network-free. */
export type { MessageExt } from "../../proto/message/index.ts";
export { decodeCheckpoint, encodeCheckpoint, readCheckpoint, type StoreCheckpoint } from "./checkpoint.ts";
export { CQ_STORE_UNIT_SIZE } from "./consume-queue.ts";
export { indexFileSize, indexKeyHash, positiveKeyHash } from "./index-file.ts";
export { segmentFileName } from "./mapped-file-queue.ts";
export { createMessageStore, MessageStore } from "./message-store.ts";
export {
  defaultMessageStoreOptions,
  type FlushDiskType,
  type MessageStoreOptions,
  type StoreLogger,
} from "./options.ts";
export type { GetRawMessageResult, GetRawMessagesRequest } from "./read-raw-messages.ts";
export type {
  AppendRawResult,
  CleanResult,
  DispatchRequest,
  GetMessageResult,
  GetMessageStatus,
  GetMessagesRequest,
  MessageInput,
  PutResult,
} from "./types.ts";
