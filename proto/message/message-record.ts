import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { offsetMessageIdAt } from "./message-id.ts";
import { MessageSysFlag } from "./message-sys-flag.ts";
import { decodeMessagePropertiesBytes } from "./properties.ts";
import { formatSocketAddress, type SocketAddress } from "./socket-address.ts";

/**
 * The stored message record of RocketMQ's CommitLog (MessageExtEncoder / MessageDecoder), which is also the
 * PULL_MESSAGE response body format. All integers big-endian; layout in broker/store/README.md.
 */

/** MAGICCODE of a record with a 1-byte topic length. */
export const MESSAGE_MAGIC_CODE = -626843481;
/** MAGICCODE of a record with a 2-byte topic length (topics longer than 127 bytes). */
export const MESSAGE_MAGIC_CODE_V2 = -626843477;
/** MAGICCODE of the end-of-segment filler; its TOTALSIZE covers the rest of the segment. */
export const BLANK_MAGIC_CODE = -875286124;
/** A segment always keeps room for the 8-byte blank marker (TOTALSIZE + MAGICCODE). */
export const END_FILE_MIN_BLANK_LENGTH = 8;

/** Byte offsets of the fixed fields. */
export const RecordField = Object.freeze({
  TOTALSIZE: 0,
  MAGICCODE: 4,
  BODYCRC: 8,
  QUEUEID: 12,
  FLAG: 16,
  QUEUEOFFSET: 20,
  PHYSICALOFFSET: 28,
  SYSFLAG: 36,
  BORNTIMESTAMP: 40,
  BORNHOST: 48,
});

/** Size of a record without body, topic and properties, for IPv4 hosts and a 1-byte topic length: 91. */
export const MIN_RECORD_SIZE = 91;

/** A decoded record (Java MessageExt) plus the exact stored bytes. */
export interface MessageExt {
  storeSize: number;
  topic: string;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  /** "ip:port" */
  bornHost: string;
  storeTimestamp: number;
  /** "ip:port" */
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  bodyCRC: number;
  body: Uint8Array;
  properties: Record<string, string>;
  /** Offset message id: store host + commitLogOffset. */
  msgId: string;
  /** The whole record as stored (a view, not a copy). */
  raw: Uint8Array;
}

/** What encodeMessageRecord writes; strings already UTF-8 encoded so the caller can size the record first. */
export interface MessageRecordFields {
  topic: Uint8Array;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  /** Host V6 bits are set by the encoder from the address lengths. */
  sysFlag: number;
  bornTimestamp: number;
  bornHost: SocketAddress;
  storeTimestamp: number;
  storeHost: SocketAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** Defaults to RocketMQ's body CRC (CRC-32 & 0x7fffffff). */
  bodyCRC?: number;
  properties: Uint8Array;
}

/** RocketMQ's UtilAll.crc32: CRC-32 of the body with the sign bit cleared. */
export function bodyCrc32(body: Uint8Array): number {
  return Bun.hash.crc32(body) & 0x7fffffff;
}

/** Total record size (calMsgLength). */
export function messageRecordSize(
  bodyLength: number,
  topicLength: number,
  propertiesLength: number,
  bornIpLength = 4,
  storeIpLength = 4,
): number {
  return (
    MIN_RECORD_SIZE +
    (topicLength > 127 ? 1 : 0) +
    (bornIpLength - 4) +
    (storeIpLength - 4) +
    bodyLength +
    topicLength +
    propertiesLength
  );
}

/** Writes int64 `v` (|v| < 2^53) big-endian. */
export function setInt64(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  view.setInt32(at, hi);
  view.setUint32(at + 4, v - hi * 0x100000000);
}

/** Reads a big-endian int64 as a number (exact below 2^53). */
export function getInt64(view: DataView, at: number): number {
  return view.getInt32(at) * 0x100000000 + view.getUint32(at + 4);
}

/**
 * Encodes one record at `target[at]` (`view` must view the same bytes) and returns its size.
 * The caller checks that `target` has room (messageRecordSize).
 */
export function encodeMessageRecord(
  target: Uint8Array,
  view: DataView,
  at: number,
  f: MessageRecordFields,
): number {
  const p = encodeMessageRecordHead(target, view, at, f, f.properties.length);
  copySmall(target, p, f.properties);
  return view.getInt32(at);
}

/** The fields of a record except its properties bytes (encodeMessageRecordHead's input). */
export type MessageRecordHead = Omit<MessageRecordFields, "properties">;

/** A head for a writer to fill and reuse record after record (one object, not one per record). */
export function emptyMessageRecordHead(storeHost: SocketAddress): MessageRecordHead {
  return {
    topic: new Uint8Array(0),
    queueId: 0,
    flag: 0,
    queueOffset: 0,
    commitLogOffset: 0,
    sysFlag: 0,
    bornTimestamp: 0,
    bornHost: storeHost,
    storeTimestamp: 0,
    storeHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: new Uint8Array(0),
  };
}

/**
 * Encodes everything of a record but the properties bytes, which the caller writes itself at the returned
 * position (`propertiesLength` of them, e.g. with writeMessageProperties): the record is encoded in place
 * without an intermediate properties array. TOTALSIZE includes them.
 */
export function encodeMessageRecordHead(
  target: Uint8Array,
  view: DataView,
  at: number,
  f: MessageRecordHead,
  propertiesLength: number,
): number {
  const topicLength = f.topic.length;
  const bornIpLength = f.bornHost.ip.length;
  const storeIpLength = f.storeHost.ip.length;
  const bodyLength = f.body.length;
  const size = messageRecordSize(bodyLength, topicLength, propertiesLength, bornIpLength, storeIpLength);
  let sysFlag = f.sysFlag & ~(MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG);
  if (bornIpLength === 16) sysFlag |= MessageSysFlag.BORNHOST_V6_FLAG;
  if (storeIpLength === 16) sysFlag |= MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;
  view.setInt32(at, size);
  view.setInt32(at + 4, topicLength > 127 ? MESSAGE_MAGIC_CODE_V2 : MESSAGE_MAGIC_CODE);
  view.setInt32(at + 8, f.bodyCRC ?? bodyCrc32(f.body));
  view.setInt32(at + 12, f.queueId);
  view.setInt32(at + 16, f.flag);
  setInt64(view, at + 20, f.queueOffset);
  setInt64(view, at + 28, f.commitLogOffset);
  view.setInt32(at + 36, sysFlag);
  setInt64(view, at + 40, f.bornTimestamp);
  let p = copySmall(target, at + 48, f.bornHost.ip);
  view.setInt32(p, f.bornHost.port);
  setInt64(view, p + 4, f.storeTimestamp);
  p = copySmall(target, p + 12, f.storeHost.ip);
  view.setInt32(p, f.storeHost.port);
  view.setInt32(p + 4, f.reconsumeTimes);
  setInt64(view, p + 8, f.preparedTransactionOffset);
  view.setInt32(p + 16, bodyLength);
  p += 20;
  target.set(f.body, p);
  p += bodyLength;
  if (topicLength > 127) {
    view.setInt16(p, topicLength);
    p += 2;
  } else {
    target[p++] = topicLength;
  }
  p = copySmall(target, p, f.topic);
  view.setInt16(p, propertiesLength);
  return p + 2;
}

/** Copies `src` to `target[at]`, returns the end; a loop beats TypedArray.set for the few bytes of an ip or topic. */
function copySmall(target: Uint8Array, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 64) {
    target.set(src, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) target[at + i] = src[i]!;
  return at + n;
}

/** Outcome of checking the bytes at one position of a CommitLog segment. */
export type RecordCheck =
  | { kind: "message"; size: number; layout: RecordLayout }
  /** End-of-segment filler: skip `size` bytes to the next segment. */
  | { kind: "blank"; size: number }
  /** TOTALSIZE 0: no more data was written here. */
  | { kind: "end" }
  | { kind: "corrupt"; reason: string };

export interface RecordCheckOptions {
  /** Verify the body CRC (costly only in bulk). */
  checkCRC: boolean;
  /** When given, PHYSICALOFFSET must equal it: catches stale or misplaced data. */
  expectedOffset?: number;
}

/**
 * Validates the record at `bytes[at]` without decoding it: size bounds, magic, that the variable-length fields add
 * up to TOTALSIZE, and optionally the body CRC and the stored physical offset. `available` = bytes readable from
 * `at` (a blank marker must cover exactly that). Never throws.
 */
export function checkMessageRecord(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  available: number,
  options: RecordCheckOptions,
): RecordCheck {
  if (available < 4)
    return available === 0 ? { kind: "end" } : { kind: "corrupt", reason: "truncated size field" };
  const totalSize = view.getInt32(at);
  if (totalSize === 0) {
    return available >= 8 && view.getInt32(at + 4) !== 0
      ? { kind: "corrupt", reason: "zero TOTALSIZE before a non-zero MAGICCODE" }
      : { kind: "end" };
  }
  if (available < 8) return { kind: "corrupt", reason: "truncated magic field" };
  const magic = view.getInt32(at + 4);
  if (magic === BLANK_MAGIC_CODE) {
    return totalSize === available
      ? { kind: "blank", size: totalSize }
      : { kind: "corrupt", reason: `blank marker of ${totalSize} bytes where ${available} remain` };
  }
  if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) {
    return { kind: "corrupt", reason: `bad MAGICCODE 0x${(magic >>> 0).toString(16)}` };
  }
  if (totalSize < MIN_RECORD_SIZE || totalSize > available) {
    return { kind: "corrupt", reason: `TOTALSIZE ${totalSize} outside [${MIN_RECORD_SIZE}, ${available}]` };
  }
  const layout = recordLayout(view, at, totalSize, magic);
  if (typeof layout === "string") return { kind: "corrupt", reason: layout };
  if (options.expectedOffset !== undefined) {
    const stored = getInt64(view, at + RecordField.PHYSICALOFFSET);
    if (stored !== options.expectedOffset) {
      return {
        kind: "corrupt",
        reason: `PHYSICALOFFSET ${stored} where ${options.expectedOffset} was expected`,
      };
    }
  }
  if (options.checkCRC) {
    const crc = bodyCrc32(bytes.subarray(layout.bodyAt, layout.bodyAt + layout.bodyLength));
    if (crc !== view.getInt32(at + RecordField.BODYCRC))
      return { kind: "corrupt", reason: "body CRC mismatch" };
  }
  return { kind: "message", size: totalSize, layout };
}

/** Where the variable-length fields of a record sit (absolute positions in its buffer). */
export interface RecordLayout {
  bornIpLength: number;
  storeTimestampAt: number;
  storeIpLength: number;
  bodyAt: number;
  bodyLength: number;
  topicAt: number;
  topicLength: number;
  propertiesAt: number;
  propertiesLength: number;
}

/**
 * Offsets of the variable fields of the record of `totalSize` bytes at `view[at]`, or why they don't add up.
 * `magic` selects the 1- or 2-byte topic length.
 */
export function recordLayout(
  view: DataView,
  at: number,
  totalSize: number,
  magic: number,
): RecordLayout | string {
  const sysFlag = view.getInt32(at + RecordField.SYSFLAG);
  const bornIpLength = sysFlag & MessageSysFlag.BORNHOST_V6_FLAG ? 16 : 4;
  const storeIpLength = sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG ? 16 : 4;
  const storeTimestampAt = at + 48 + bornIpLength + 4;
  const bodyLengthAt = storeTimestampAt + 8 + storeIpLength + 4 + 4 + 8;
  const end = at + totalSize;
  if (bodyLengthAt + 4 > end) return "fields overrun TOTALSIZE";
  const bodyLength = view.getInt32(bodyLengthAt);
  const bodyAt = bodyLengthAt + 4;
  const topicLengthAt = bodyAt + bodyLength;
  const topicLengthSize = magic === MESSAGE_MAGIC_CODE_V2 ? 2 : 1;
  if (bodyLength < 0 || topicLengthAt + topicLengthSize > end)
    return `BODY length ${bodyLength} overruns TOTALSIZE`;
  const topicLength = topicLengthSize === 2 ? view.getInt16(topicLengthAt) : view.getUint8(topicLengthAt);
  const topicAt = topicLengthAt + topicLengthSize;
  const propertiesLengthAt = topicAt + topicLength;
  if (topicLength <= 0 || propertiesLengthAt + 2 > end) return `TOPIC length ${topicLength} is invalid`;
  const propertiesLength = view.getInt16(propertiesLengthAt);
  const propertiesAt = propertiesLengthAt + 2;
  if (propertiesLength < 0 || propertiesAt + propertiesLength !== end) {
    return `fields add up to ${propertiesAt + propertiesLength - at} bytes, TOTALSIZE is ${totalSize}`;
  }
  return {
    bornIpLength,
    storeTimestampAt,
    storeIpLength,
    bodyAt,
    bodyLength,
    topicAt,
    topicLength,
    propertiesAt,
    propertiesLength,
  };
}

const utf8Decoder = new TextDecoder();

export interface DecodeMessageOptions {
  /** Verify the body CRC; a mismatch throws. Default true. */
  checkCRC?: boolean;
  /** When given, the stored PHYSICALOFFSET must equal it. */
  expectedOffset?: number;
}

/**
 * Decodes the record at `bytes[at]`. Throws MqError(SYSTEM_ERROR) naming the defect when the bytes are not one
 * whole, consistent record (a blank marker or zero size included), so garbage is never returned.
 */
export function decodeMessageRecord(
  bytes: Uint8Array,
  at = 0,
  options: DecodeMessageOptions = {},
): MessageExt {
  return decode(null, bytes, at, options);
}

/** decodeMessageRecord's signature. */
export type MessageRecordDecoder = (
  bytes: Uint8Array,
  at?: number,
  options?: DecodeMessageOptions,
) => MessageExt;

/**
 * A decodeMessageRecord for many records in a row (a store's reads): it reuses the strings of repeated topics and
 * hosts instead of decoding them again.
 */
export function createMessageRecordDecoder(): MessageRecordDecoder {
  const cache: DecodeCache = { topicBytes: new Uint8Array(0), topic: "", hosts: new Map() };
  return (bytes, at = 0, options = {}) => decode(cache, bytes, at, options);
}

interface DecodeCache {
  topicBytes: Uint8Array;
  topic: string;
  /** IPv4 "ip:port" strings by ip * 65536 + port. */
  hosts: Map<number, string>;
}

function decode(
  cache: DecodeCache | null,
  bytes: Uint8Array,
  at: number,
  options: DecodeMessageOptions,
): MessageExt {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = checkMessageRecord(bytes, view, at, bytes.length - at, {
    checkCRC: options.checkCRC ?? true,
    expectedOffset: options.expectedOffset,
  });
  if (check.kind !== "message") {
    const why = check.kind === "corrupt" ? check.reason : `found a ${check.kind} marker`;
    throw new MqError(ResponseCode.SYSTEM_ERROR, `not a message record at byte ${at}: ${why}`);
  }
  const size = check.size;
  const layout = check.layout;
  const bornPortAt = at + 48 + layout.bornIpLength;
  const storeIpAt = layout.storeTimestampAt + 8;
  const storePort = view.getInt32(storeIpAt + layout.storeIpLength);
  const commitLogOffset = getInt64(view, at + RecordField.PHYSICALOFFSET);
  const afterStoreHost = storeIpAt + layout.storeIpLength + 4;
  return {
    storeSize: size,
    topic: topicOf(cache, bytes, layout.topicAt, layout.topicLength),
    queueId: view.getInt32(at + RecordField.QUEUEID),
    flag: view.getInt32(at + RecordField.FLAG),
    queueOffset: getInt64(view, at + RecordField.QUEUEOFFSET),
    commitLogOffset,
    sysFlag: view.getInt32(at + RecordField.SYSFLAG),
    bornTimestamp: getInt64(view, at + RecordField.BORNTIMESTAMP),
    bornHost: hostAt(cache, bytes, view, at + 48, layout.bornIpLength, view.getInt32(bornPortAt)),
    storeTimestamp: getInt64(view, layout.storeTimestampAt),
    storeHost: hostAt(cache, bytes, view, storeIpAt, layout.storeIpLength, storePort),
    reconsumeTimes: view.getInt32(afterStoreHost),
    preparedTransactionOffset: getInt64(view, afterStoreHost + 4),
    bodyCRC: view.getInt32(at + RecordField.BODYCRC),
    body: bytes.subarray(layout.bodyAt, layout.bodyAt + layout.bodyLength),
    properties: decodeMessagePropertiesBytes(
      bytes.subarray(layout.propertiesAt, layout.propertiesAt + layout.propertiesLength),
    ),
    msgId: offsetMessageIdAt(bytes, storeIpAt, layout.storeIpLength, storePort, commitLogOffset),
    raw: bytes.subarray(at, at + size),
  };
}

function topicOf(cache: DecodeCache | null, bytes: Uint8Array, at: number, length: number): string {
  if (!cache) return utf8Decoder.decode(bytes.subarray(at, at + length));
  const last = cache.topicBytes;
  let same = last.length === length;
  for (let i = 0; same && i < length; i++) same = last[i] === bytes[at + i];
  if (!same) {
    cache.topicBytes = bytes.slice(at, at + length);
    cache.topic = utf8Decoder.decode(cache.topicBytes);
  }
  return cache.topic;
}

function hostAt(
  cache: DecodeCache | null,
  bytes: Uint8Array,
  view: DataView,
  ipAt: number,
  ipLength: number,
  port: number,
): string {
  if (ipLength !== 4) return formatSocketAddress(bytes.subarray(ipAt, ipAt + ipLength), port);
  if (!cache) return `${bytes[ipAt]}.${bytes[ipAt + 1]}.${bytes[ipAt + 2]}.${bytes[ipAt + 3]}:${port}`;
  const key = view.getUint32(ipAt) * 65536 + (port & 0xffff);
  let host = cache.hosts.get(key);
  if (host === undefined) {
    host = `${bytes[ipAt]}.${bytes[ipAt + 1]}.${bytes[ipAt + 2]}.${bytes[ipAt + 3]}:${port}`;
    if (cache.hosts.size >= 1024) cache.hosts.clear();
    cache.hosts.set(key, host);
  }
  return host;
}

/** The store timestamp of the well-formed record at `view[at]` (for binary searches by time). */
export function readStoreTimestamp(view: DataView, at: number): number {
  const bornIpLength = view.getInt32(at + RecordField.SYSFLAG) & MessageSysFlag.BORNHOST_V6_FLAG ? 16 : 4;
  return getInt64(view, at + 48 + bornIpLength + 4);
}
