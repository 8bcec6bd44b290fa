import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { buildPopRetryTopic, isRetryTopic } from "../topic-validator.ts";

/**
 * What a popped message's receipt handle (RocketMQ's `extraInfo`, property POP_CK) carries: everything needed to
 * ack it on any proxy without server-side session state. Wire form, space separated, as ExtraInfoUtil writes it:
 * `startOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset commitLogOffset`.
 */
export interface ReceiptHandle {
  /** First queue offset of the checkpoint (the pop batch for this queue) the message belongs to. */
  startOffset: number;
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  /** "0" = the topic itself, "1" = the pop retry topic %RETRY%group_topic (ExtraInfoUtil NORMAL/RETRY). */
  topicType: "0" | "1";
  brokerName: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
}

export function encodeReceiptHandle(h: ReceiptHandle): string {
  return [
    h.startOffset,
    h.popTime,
    h.invisibleTime,
    h.reviveQid,
    h.topicType,
    h.brokerName,
    h.queueId,
    h.queueOffset,
    h.commitLogOffset,
  ].join(" ");
}

/** A decimal integer ("-"? digits) or NaN: read by hand, as acks parse several per handle (a regex cost ~2 %). */
function parseDecimal(value: string): number {
  const negative = value.charCodeAt(0) === 45; // "-"
  const start = negative ? 1 : 0;
  if (value.length === start || value.length - start > 19) return Number.NaN;
  let n = 0;
  for (let i = start; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function int(field: string, value: string | undefined, handle: string): number {
  const n = value !== undefined ? parseDecimal(value) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal receipt handle (${field}): ${clip(handle)}`);
  return n;
}

/** Parses a receipt handle; anything malformed is INVALID_PARAMETER. The 9th field is optional (pre-5.x form). */
export function decodeReceiptHandle(handle: string | undefined): ReceiptHandle {
  if (handle === undefined || handle === "")
    throw new MqError(ResponseCode.INVALID_PARAMETER, "receipt handle is empty");
  const parts = handle.split(" ");
  if (parts.length < 8 || parts.length > 9)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal receipt handle: ${clip(handle)}`);
  const topicType = parts[4];
  if (topicType !== "0" && topicType !== "1")
    throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal receipt handle (topic type): ${clip(handle)}`);
  const brokerName = parts[5] ?? "";
  if (brokerName === "")
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `illegal receipt handle (broker name): ${clip(handle)}`,
    );
  const h: ReceiptHandle = {
    startOffset: int("start offset", parts[0], handle),
    popTime: int("pop time", parts[1], handle),
    invisibleTime: int("invisible time", parts[2], handle),
    reviveQid: int("revive queue", parts[3], handle),
    topicType,
    brokerName,
    queueId: int("queue id", parts[6], handle),
    queueOffset: int("queue offset", parts[7], handle),
    commitLogOffset: parts.length === 9 ? int("commit log offset", parts[8], handle) : -1,
  };
  if (h.queueOffset < h.startOffset || h.queueId < 0 || h.startOffset < 0 || h.invisibleTime < 0)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal receipt handle (offsets): ${clip(handle)}`);
  return h;
}

/**
 * Where a handle's queueOffset field starts (after the seventh space), or -1. Handles of one pop checkpoint share
 * everything before it, so a batch of them is decoded once per checkpoint (`decodeReceiptHandleRest`).
 */
export function queueOffsetFieldAt(handle: string): number {
  let at = -1;
  for (let i = 0; i < 7; i++) {
    at = handle.indexOf(" ", at + 1);
    if (at < 0) return -1;
  }
  return at + 1;
}

/**
 * The handle whose text before `at` is that of `base` (decoded already): only the offsets are read. Undefined when
 * they are malformed (decodeReceiptHandle then says why).
 */
export function decodeReceiptHandleRest(
  handle: string,
  at: number,
  base: ReceiptHandle,
): ReceiptHandle | undefined {
  const space = handle.indexOf(" ", at);
  const queueOffset = parseDecimal(space < 0 ? handle.slice(at) : handle.slice(at, space));
  const commitLogOffset = space < 0 ? -1 : parseDecimal(handle.slice(space + 1));
  if (
    !Number.isSafeInteger(queueOffset) ||
    !Number.isSafeInteger(commitLogOffset) ||
    queueOffset < base.startOffset
  )
    return undefined;
  return { ...base, queueOffset, commitLogOffset };
}

/** The topic a handle's message was read from: the topic itself or its pop retry topic. */
export function realTopicOf(h: ReceiptHandle, topic: string, consumerGroup: string): string {
  return h.topicType === "1" ? buildPopRetryTopic(topic, consumerGroup) : topic;
}

export function topicTypeOf(readTopic: string): "0" | "1" {
  return isRetryTopic(readTopic) ? "1" : "0";
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
