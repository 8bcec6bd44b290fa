import { crc32, inflateSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { MessageConst } from "../../proto/message/message-const.ts";
import { MessageSysFlag } from "../../proto/message/message-sys-flag.ts";
import {
  DigestType,
  Encoding,
  type Message,
  MessageSchema,
  MessageType,
  SystemPropertiesSchema,
} from "../../proto/v2.ts";
import type { MessageExt } from "../backend/backend.ts";
import { durationOf } from "../settings.ts";

const SYSTEM_KEYS: ReadonlySet<string> = new Set(
  Object.entries(MessageConst)
    .filter(([k]) => k !== "KEY_SEPARATOR" && k !== "PROPERTY_TRANSIENT_PREFIX")
    .map(([, v]) => v),
);

function messageTypeOf(p: Record<string, string>): MessageType {
  if (p[MessageConst.PROPERTY_TRANSACTION_PREPARED] === "true") return MessageType.TRANSACTION;
  if (
    p[MessageConst.PROPERTY_TIMER_DELIVER_MS] !== undefined ||
    p[MessageConst.PROPERTY_DELAY_TIME_LEVEL] !== undefined ||
    p[MessageConst.PROPERTY_TIMER_DELAY_SEC] !== undefined ||
    p[MessageConst.PROPERTY_TIMER_DELAY_MS] !== undefined
  )
    return MessageType.DELAY;
  if (p[MessageConst.PROPERTY_SHARDING_KEY] !== undefined) return MessageType.FIFO;
  return MessageType.NORMAL;
}

export interface MessageViewOptions {
  /** The topic the client asked for (a redelivery is read from the group's retry topic). */
  topic?: string;
  receiptHandle?: string;
  invisibleTimeMillis?: number;
}

/**
 * A stored message as RocketMQ clients expect it (GrpcConverter.buildMessage): user properties apart from system
 * ones, and every system property the SDKs read, including body_digest, which the Node SDK dereferences
 * unconditionally (CRC32 as an unsigned decimal string).
 */
export function toV2Message(m: MessageExt, options: MessageViewOptions = {}): Message {
  const p = m.properties;
  let body = m.body;
  // The broker stores zlib-compressed bodies; clients get them plain.
  if ((m.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) {
    try {
      body = inflateSync(body);
    } catch {
      // Left compressed: the digest below then tells the client the body is not what was sent.
    }
  }
  const userProperties: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) {
    if (!SYSTEM_KEYS.has(k) && !k.startsWith(MessageConst.PROPERTY_TRANSIENT_PREFIX)) userProperties[k] = v;
  }
  const keys = (p[MessageConst.PROPERTY_KEYS] ?? "")
    .split(MessageConst.KEY_SEPARATOR)
    .filter((k) => k !== "");
  const deliverAt = Number(p[MessageConst.PROPERTY_TIMER_DELIVER_MS]);
  const dlqTopic = p[MessageConst.PROPERTY_DLQ_ORIGIN_TOPIC];
  const topic =
    options.topic ?? p[MessageConst.PROPERTY_RETRY_TOPIC] ?? p[MessageConst.PROPERTY_REAL_TOPIC] ?? m.topic;

  return create(MessageSchema, {
    topic: { name: topic },
    userProperties,
    body,
    systemProperties: create(SystemPropertiesSchema, {
      tag: p[MessageConst.PROPERTY_TAGS],
      keys,
      messageId: p[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] || m.msgId,
      bodyDigest: { type: DigestType.CRC32, checksum: String(crc32(body) >>> 0) },
      bodyEncoding: Encoding.IDENTITY,
      messageType: messageTypeOf(p),
      bornTimestamp: timestampFromMs(m.bornTimestamp),
      bornHost: p[MessageConst.PROPERTY_BORN_HOST] || m.bornHost,
      storeTimestamp: m.storeTimestamp > 0 ? timestampFromMs(m.storeTimestamp) : undefined,
      storeHost: m.storeHost,
      deliveryTimestamp:
        Number.isSafeInteger(deliverAt) && deliverAt > 0 ? timestampFromMs(deliverAt) : undefined,
      receiptHandle: options.receiptHandle,
      queueId: m.queueId,
      queueOffset: BigInt(m.queueOffset),
      invisibleDuration:
        options.invisibleTimeMillis !== undefined ? durationOf(options.invisibleTimeMillis) : undefined,
      deliveryAttempt: m.reconsumeTimes + 1,
      messageGroup: p[MessageConst.PROPERTY_SHARDING_KEY],
      traceContext: p[MessageConst.PROPERTY_TRACE_CONTEXT],
      deadLetterQueue:
        dlqTopic !== undefined
          ? { topic: dlqTopic, messageId: p[MessageConst.PROPERTY_DLQ_ORIGIN_MESSAGE_ID] ?? "" }
          : undefined,
    }),
  });
}
