import { gunzipSync } from "node:zlib";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { MessageConst } from "../../proto/message/message-const.ts";
import { Code, Encoding, type Message, MessageType, type Status } from "../../proto/v2.ts";
import type { MessageToSend } from "../backend/backend.ts";
import { millisOf } from "../settings.ts";
import { status } from "../status.ts";
import type { ProxyLimits } from "./env.ts";
import { checkTopic, clip, hasControlCharacter } from "./validate.ts";

/** Property names the broker owns; a client may not set them as user properties. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(
  Object.entries(MessageConst)
    .filter(([k]) => k !== "KEY_SEPARATOR" && k !== "PROPERTY_TRANSIENT_PREFIX")
    .map(([, v]) => v),
);

export interface BuiltMessage {
  message: MessageToSend;
  messageType: MessageType;
  messageGroup: string | undefined;
}

/**
 * Turns a v2 Message into what a broker stores, mapping system properties the RocketMQ way (tag -> TAGS,
 * keys -> KEYS, message_id -> UNIQ_KEY, message_group -> __SHARDINGKEY, delivery_timestamp -> TIMER_DELIVER_MS,
 * TRANSACTION -> TRAN_MSG, producer group PGROUP = topic), or returns the Status refusing it.
 * The queue id is left at 0 for the caller to choose.
 */
export function buildMessage(m: Message, limits: ProxyLimits, now: number): BuiltMessage | Status {
  const bad = checkTopic(m.topic);
  if (bad) return bad;
  const topic = m.topic!.name;
  const sp = m.systemProperties;
  if (!sp) return status(Code.BAD_REQUEST, "system_properties is required");

  const messageId = sp.messageId;
  if (messageId === "") return status(Code.ILLEGAL_MESSAGE_ID, "message_id is required");
  if (messageId.length > 128 || hasControlCharacter(messageId))
    return status(Code.ILLEGAL_MESSAGE_ID, `message_id ${clip(messageId)} is malformed`);

  let body = m.body;
  if (body.byteLength > limits.maxMessageSize)
    return status(
      Code.MESSAGE_BODY_TOO_LARGE,
      `message body of ${body.byteLength} bytes exceeds ${limits.maxMessageSize}`,
    );
  if (sp.bodyEncoding === Encoding.GZIP && body.byteLength > 0) {
    try {
      body = gunzipSync(body, { maxOutputLength: limits.maxMessageSize });
    } catch {
      return status(
        Code.MESSAGE_CORRUPTED,
        `message body is not gzip or inflates beyond ${limits.maxMessageSize} bytes`,
      );
    }
  }
  if (body.byteLength === 0) return status(Code.MESSAGE_BODY_EMPTY, "message body is empty");

  const properties: Record<string, string> = {};
  const userKeys = Object.keys(m.userProperties);
  if (userKeys.length > limits.userPropertyMaxNum)
    return status(
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
      `${userKeys.length} user properties exceed the limit of ${limits.userPropertyMaxNum}`,
    );
  let propertyBytes = 0;
  for (const key of userKeys) {
    const value = m.userProperties[key];
    if (key === "" || hasControlCharacter(key))
      return status(
        Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
        `user property key ${clip(key)} is empty or has control characters`,
      );
    if (RESERVED_KEYS.has(key) || key.startsWith(MessageConst.PROPERTY_TRANSIENT_PREFIX))
      return status(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `user property key ${clip(key)} is reserved`);
    if (value.includes("\u0001") || value.includes("\u0002"))
      return status(
        Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
        `user property ${clip(key)} has a value with \\u0001 or \\u0002`,
      );
    propertyBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    properties[key] = value;
  }
  if (propertyBytes > limits.maxUserPropertySize)
    return status(
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
      `user properties of ${propertyBytes} bytes exceed the limit of ${limits.maxUserPropertySize}`,
    );

  if (sp.tag !== undefined && sp.tag !== "") {
    if (sp.tag.trim() === "") return status(Code.ILLEGAL_MESSAGE_TAG, "tag is only whitespace");
    if (sp.tag.includes("|")) return status(Code.ILLEGAL_MESSAGE_TAG, "tag may not contain '|'");
    if (hasControlCharacter(sp.tag)) return status(Code.ILLEGAL_MESSAGE_TAG, "tag has control characters");
    properties[MessageConst.PROPERTY_TAGS] = sp.tag;
  }
  if (sp.keys.length > 0) {
    for (const key of sp.keys)
      if (key.trim() === "" || hasControlCharacter(key))
        return status(
          Code.ILLEGAL_MESSAGE_KEY,
          `message key ${clip(key)} is blank or has control characters`,
        );
    properties[MessageConst.PROPERTY_KEYS] = sp.keys.join(MessageConst.KEY_SEPARATOR);
  }
  properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] = messageId;

  const group = sp.messageGroup;
  if (group !== undefined) {
    if (group.trim() === "" || hasControlCharacter(group))
      return status(Code.ILLEGAL_MESSAGE_GROUP, "message group is blank or has control characters");
    if (Buffer.byteLength(group) > limits.maxMessageGroupSize)
      return status(
        Code.ILLEGAL_MESSAGE_GROUP,
        `message group is longer than ${limits.maxMessageGroupSize} bytes`,
      );
    properties[MessageConst.PROPERTY_SHARDING_KEY] = group;
  }

  let deliverAt: number | undefined;
  if (sp.deliveryTimestamp) {
    deliverAt = timestampMs(sp.deliveryTimestamp);
    if (!Number.isSafeInteger(deliverAt) || deliverAt < 0)
      return status(Code.ILLEGAL_DELIVERY_TIME, "delivery_timestamp is malformed");
    if (deliverAt - now > limits.maxDelayTimeMills)
      return status(
        Code.ILLEGAL_DELIVERY_TIME,
        `delivery_timestamp is more than ${limits.maxDelayTimeMills} ms ahead`,
      );
    properties[MessageConst.PROPERTY_TIMER_DELIVER_MS] = String(deliverAt);
  }

  const declared = sp.messageType;
  const inferred =
    group !== undefined ? MessageType.FIFO : deliverAt !== undefined ? MessageType.DELAY : MessageType.NORMAL;
  if (group !== undefined && deliverAt !== undefined)
    return status(
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
      "a message cannot have both a group and a delivery time",
    );
  let messageType = declared === MessageType.MESSAGE_TYPE_UNSPECIFIED ? inferred : declared;
  if (declared === MessageType.TRANSACTION) {
    if (inferred !== MessageType.NORMAL)
      return status(
        Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
        "a transaction message cannot have a group or a delivery time",
      );
    messageType = MessageType.TRANSACTION;
    properties[MessageConst.PROPERTY_TRANSACTION_PREPARED] = "true";
    const recovery = millisOf(sp.orphanedTransactionRecoveryDuration);
    if (recovery !== undefined) {
      const seconds = Math.floor(recovery / 1000);
      if (seconds < 0 || seconds > limits.maxTransactionRecoverySecond)
        return status(
          Code.BAD_REQUEST,
          `orphaned_transaction_recovery_duration exceeds ${limits.maxTransactionRecoverySecond} s`,
        );
      properties[MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS] = String(seconds);
    }
  } else if (declared !== MessageType.MESSAGE_TYPE_UNSPECIFIED && declared !== inferred) {
    return status(
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
      `message type ${MessageType[declared] ?? declared} does not match its properties`,
    );
  }

  properties[MessageConst.PROPERTY_PRODUCER_GROUP] = topic;
  if (sp.bornHost) properties[MessageConst.PROPERTY_BORN_HOST] = sp.bornHost;
  if (sp.traceContext) properties[MessageConst.PROPERTY_TRACE_CONTEXT] = sp.traceContext;

  const born = sp.bornTimestamp ? timestampMs(sp.bornTimestamp) : now;
  return {
    message: {
      topic,
      queueId: 0,
      body,
      flag: 0,
      properties,
      bornTimestamp: Number.isSafeInteger(born) && born > 0 ? born : now,
      bornHost: "",
    },
    messageType,
    messageGroup: group,
  };
}

export function isBuilt(x: BuiltMessage | Status): x is BuiltMessage {
  return "message" in x && "messageType" in x;
}
