/** Pure message codecs shared by the store, remoting and clients: properties, ids, tag hash, stored records. */

export {
  createEncodedPropertiesScan,
  decodeMessagePropertiesKeepingSource,
  type EncodedPropertiesScan,
  type EncodedPropertiesSource,
  encodedSourceOf,
  scanEncodedProperties,
} from "./encoded-properties.ts";
export { MessageConst, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from "./message-const.ts";
export { createOffsetMessageId, createOffsetMessageIdFactory, decodeOffsetMessageId } from "./message-id.ts";
export {
  BLANK_MAGIC_CODE,
  bodyCrc32,
  checkMessageRecord,
  createMessageRecordDecoder,
  type DecodeMessageOptions,
  decodeMessageRecord,
  END_FILE_MIN_BLANK_LENGTH,
  emptyMessageRecordHead,
  encodeMessageRecord,
  encodeMessageRecordHead,
  getInt64,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  type MessageExt,
  type MessageRecordDecoder,
  type MessageRecordFields,
  type MessageRecordHead,
  MIN_RECORD_SIZE,
  messageRecordSize,
  type RecordCheck,
  type RecordCheckOptions,
  RecordField,
  type RecordLayout,
  readStoreTimestamp,
  recordLayout,
  setInt64,
} from "./message-record.ts";
export { getTransactionValue, MessageSysFlag, resetTransactionValue } from "./message-sys-flag.ts";
export {
  decodeMessageProperties,
  decodeMessagePropertiesBytes,
  encodeMessageProperties,
  MAX_PROPERTIES_BYTES,
  measureMessageProperties,
  writeMessageProperties,
} from "./properties.ts";
export { formatSocketAddress, parseSocketAddress, type SocketAddress } from "./socket-address.ts";
export { javaStringHashCode, tagsStringToTagsCode } from "./string-hash-code.ts";
export {
  createUniqKeyGenerator,
  defaultUniqKeyGeneratorOptions,
  type UniqKeyGenerator,
  type UniqKeyGeneratorOptions,
  uniqKeyText,
} from "./uniq-key.ts";
