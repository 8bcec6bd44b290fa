import {
  decodeMessagePropertiesBytes,
  getInt64,
  getTransactionValue,
  MessageConst,
  MessageSysFlag,
  RecordField,
  type RecordLayout,
  recordLayout,
} from "../../proto/message/index.ts";
import type { MessageStoreOptions } from "./options.ts";
import type { DispatchRequest } from "./types.ts";

const utf8 = new TextDecoder();

/** PREPARED and ROLLBACK transaction records get no ConsumeQueue unit and no queue offset (as in RocketMQ). */
export function isConsumeQueued(sysFlag: number): boolean {
  const t = getTransactionValue(sysFlag);
  return t === MessageSysFlag.TRANSACTION_NOT_TYPE || t === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
}

/** The DispatchRequest of a checked record at `view[at]` (recovery and replication read it back from bytes). */
export function decodeDispatchRequest(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  size: number,
  tagsCodeOf: MessageStoreOptions["tagsCodeOf"],
): DispatchRequest {
  const layout = recordLayout(view, at, size, view.getInt32(at + RecordField.MAGICCODE)) as RecordLayout;
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
