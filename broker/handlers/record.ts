import {
  encodeMessageProperties,
  encodeMessageRecord,
  type MessageExt,
  messageRecordSize,
  parseSocketAddress,
} from "../../proto/message/index.ts";

const utf8 = new TextEncoder();

/**
 * A MessageExt whose topic or properties differ from its stored bytes (a popped message with POP_CK, a half message
 * with its real topic) re-encoded as a CommitLog record, the form remoting bodies carry.
 */
export function encodeMessageExt(m: MessageExt): Uint8Array {
  const topic = utf8.encode(m.topic);
  const properties = utf8.encode(encodeMessageProperties(m.properties));
  const bornHost = parseSocketAddress(m.bornHost);
  const storeHost = parseSocketAddress(m.storeHost);
  const size = messageRecordSize(
    m.body.length,
    topic.length,
    properties.length,
    bornHost.ip.length,
    storeHost.ip.length,
  );
  const out = new Uint8Array(size);
  encodeMessageRecord(out, new DataView(out.buffer), 0, {
    topic,
    queueId: m.queueId,
    flag: m.flag,
    queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset,
    sysFlag: m.sysFlag,
    bornTimestamp: m.bornTimestamp,
    bornHost,
    storeTimestamp: m.storeTimestamp,
    storeHost,
    reconsumeTimes: m.reconsumeTimes,
    preparedTransactionOffset: m.preparedTransactionOffset,
    body: m.body,
    bodyCRC: m.bodyCRC,
    properties,
  });
  return out;
}
