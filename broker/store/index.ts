/** The broker's message store: CommitLog, ConsumeQueues, IndexFile, checkpoint and recovery. Network-free. */
export type { MessageExt } from "../../proto/message/index.ts";
export { decodeCheckpoint, encodeCheckpoint, readCheckpoint, type StoreCheckpoint } from "./checkpoint.ts";
export { CQ_STORE_UNIT_SIZE } from "./consume-queue.ts";
// The store's parts that bench:store-ceiling drives without the store around them.
export { ConsumeQueueTable } from "./consume-queue-table.ts";
export { indexFileSize, indexKeyHash, indexKeyHashPrefix, positiveKeyHash } from "./index-file.ts";
export { segmentFileName } from "./mapped-file-queue.ts";
export { MessageIndex } from "./message-index.ts";
export { createMessageStore, MessageStore } from "./message-store.ts";
export { openNativeIo } from "./native-io.ts";
export {
  defaultMessageStoreOptions,
  type FlushDiskType,
  type MessageStoreOptions,
  type StoreLogger,
} from "./options.ts";
export { PagePopulator } from "./page-populator.ts";
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
