import {
  decodeMessageProperties,
  decodeMessagePropertiesBytes,
  getInt64,
  getTransactionValue,
  MessageConst,
  MessageSysFlag,
  RecordField,
  type RecordLayout,
  tagsStringToTagsCode,
} from "../../proto/message/index.ts";
import { defaultMessageStoreOptions, type MessageStoreOptions } from "./options.ts";
import type { DispatchRequest } from "./types.ts";

const utf8 = new TextDecoder();

/** PREPARED and ROLLBACK transaction records get no ConsumeQueue unit and no queue offset (as in RocketMQ). */
export function isConsumeQueued(sysFlag: number): boolean {
  const t = getTransactionValue(sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}

/** The DispatchRequest of a checked record at `view[at]` whose `layout` the check computed (replication). */
export function decodeDispatchRequest(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  size: number,
  layout: RecordLayout,
  tagsCodeOf: MessageStoreOptions["tagsCodeOf"],
): DispatchRequest {
  const topic = utf8.decode(bytes.subarray(layout.topicAt, layout.topicAt + layout.topicLength));
  const properties = decodeMessagePropertiesBytes(
    bytes.subarray(layout.propertiesAt, layout.propertiesAt + layout.propertiesLength),
  );
  const storeTimestamp = getInt64(view, layout.storeTimestampAt);
  const sysFlag = view.getInt32(at + RecordField.SYSFLAG);
  const afterStoreHost = layout.storeTimestampAt + 8 + layout.storeIpLength + 4;
  return {
    topic,
    queueId: view.getInt32(at + RecordField.QUEUEID),
    queueOffset: getInt64(view, at + RecordField.QUEUEOFFSET),
    commitLogOffset: getInt64(view, at + RecordField.PHYSICALOFFSET),
    size,
    tagsCode: tagsCodeOf(topic, properties, storeTimestamp),
    storeTimestamp,
    bornTimestamp: getInt64(view, at + RecordField.BORNTIMESTAMP),
    sysFlag,
    preparedTransactionOffset: getInt64(view, afterStoreHost + 4),
    properties,
    uniqKey: properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX],
    keys: properties[MessageConst.PROPERTY_KEYS],
    consumeQueued: isConsumeQueued(sysFlag),
  };
}

/** What recovery needs of a record to rebuild its ConsumeQueue unit and index entries. */
export interface DispatchFields {
  topic: string;
  queueId: number;
  queueOffset: number;
  storeTimestamp: number;
  sysFlag: number;
  tagsCode: number;
  uniqKey: string | undefined;
  keys: string | undefined;
  consumeQueued: boolean;
}

/**
 * A decoder for long runs of records (recovery): it reuses the previous topic string when the bytes match and,
 * with the default tagsCodeOf, reads only TAGS, KEYS and UNIQ_KEY out of the properties instead of building the
 * whole map.
 */
export function createDispatchFieldsDecoder(
  tagsCodeOf: MessageStoreOptions["tagsCodeOf"],
): (bytes: Buffer, view: DataView, at: number, layout: RecordLayout) => DispatchFields {
  const fullProperties = tagsCodeOf !== defaultMessageStoreOptions.tagsCodeOf;
  let lastTopicBytes = new Uint8Array(0);
  let lastTopic = "";
  return (bytes, view, at, layout) => {
    const { topicAt, topicLength } = layout;
    if (!sameBytes(lastTopicBytes, bytes, topicAt, topicLength)) {
      lastTopicBytes = new Uint8Array(bytes.subarray(topicAt, topicAt + topicLength)); // a copy: chunks are reused
      lastTopic = bytes.toString("utf8", topicAt, topicAt + topicLength);
    }
    const text = bytes.toString("utf8", layout.propertiesAt, layout.propertiesAt + layout.propertiesLength);
    const storeTimestamp = getInt64(view, layout.storeTimestampAt);
    const sysFlag = view.getInt32(at + RecordField.SYSFLAG);
    let tagsCode: number;
    let uniqKey: string | undefined;
    let keys: string | undefined;
    if (fullProperties) {
      const properties = decodeMessageProperties(text);
      tagsCode = tagsCodeOf(lastTopic, properties, storeTimestamp);
      uniqKey = properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX];
      keys = properties[MessageConst.PROPERTY_KEYS];
    } else {
      tagsCode = tagsStringToTagsCode(propertyOf(text, "TAGS\u0001"));
      uniqKey = propertyOf(text, "UNIQ_KEY\u0001");
      keys = propertyOf(text, "KEYS\u0001");
    }
    return {
      topic: lastTopic,
      queueId: view.getInt32(at + RecordField.QUEUEID),
      queueOffset: getInt64(view, at + RecordField.QUEUEOFFSET),
      storeTimestamp,
      sysFlag,
      tagsCode,
      uniqKey,
      keys,
      consumeQueued: isConsumeQueued(sysFlag),
    };
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array, at: number, length: number): boolean {
  if (a.length !== length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

/** The value of the property whose `name\u0001` is `needle` in an encoded properties string. */
function propertyOf(text: string, needle: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return undefined;
    if (at === 0 || text.charCodeAt(at - 1) === 2) {
      const value = at + needle.length;
      const end = text.indexOf("\u0002", value);
      return text.slice(value, end < 0 ? text.length : end);
    }
    from = at + 1;
  }
}
