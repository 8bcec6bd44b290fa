import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { formatSocketAddress, parseSocketAddress, type SocketAddress } from "./socket-address.ts";

/** "00".."FF" by byte value. */
const HEX2: readonly string[] = Object.freeze(
  Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, "0")),
);

/**
 * RocketMQ's offset message id (MessageDecoder.createMessageId): store host ip (4 or 16 bytes), port (int32) and
 * the record's CommitLog offset (int64), big-endian, as uppercase hex: 32 chars for IPv4, 56 for IPv6.
 * @example createOffsetMessageId("127.0.0.1:10911", 0) // "7F00000100002A9F0000000000000000"
 */
export function createOffsetMessageId(storeHost: string | SocketAddress, commitLogOffset: number): string {
  const addr = typeof storeHost === "string" ? parseSocketAddress(storeHost) : storeHost;
  let out = "";
  for (let i = 0; i < addr.ip.length; i++) out += hexByte(addr.ip[i]!);
  out += hex32(addr.port);
  const hi = Math.floor(commitLogOffset / 0x100000000);
  return out + hex32(hi) + hex32(commitLogOffset - hi * 0x100000000);
}

/** A fast maker of offset message ids for one store host (the host part is encoded once). */
export function createOffsetMessageIdFactory(
  storeHost: string | SocketAddress,
): (commitLogOffset: number) => string {
  const prefix = createOffsetMessageId(storeHost, 0).slice(0, -16);
  let lastHi = 0;
  let head = `${prefix}00000000`;
  return (commitLogOffset) => {
    const hi = Math.floor(commitLogOffset / 0x100000000);
    if (hi !== lastHi) {
      lastHi = hi;
      head = prefix + hex32(hi);
    }
    return head + hex32(commitLogOffset - hi * 0x100000000);
  };
}

/** Splits an offset message id back into the store host ("ip:port") and CommitLog offset. */
export function decodeOffsetMessageId(msgId: string): { storeHost: string; commitLogOffset: number } {
  if ((msgId.length !== 32 && msgId.length !== 56) || !/^[0-9a-fA-F]+$/.test(msgId)) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, `not an offset message id: ${JSON.stringify(msgId)}`);
  }
  const ipLen = msgId.length === 32 ? 4 : 16;
  const ip = new Uint8Array(ipLen);
  for (let i = 0; i < ipLen; i++) ip[i] = Number.parseInt(msgId.slice(i * 2, i * 2 + 2), 16);
  const at = ipLen * 2;
  const port = Number.parseInt(msgId.slice(at, at + 8), 16);
  const hi = Number.parseInt(msgId.slice(at + 8, at + 16), 16);
  const lo = Number.parseInt(msgId.slice(at + 16, at + 24), 16);
  if (hi >= 0x200000) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, `offset message id ${msgId} has an offset beyond 2^53`);
  }
  return { storeHost: formatSocketAddress(ip, port), commitLogOffset: hi * 0x100000000 + lo };
}

/** The offset message id of a record whose store host ip sits at `bytes[ipAt]` (decoders use this). */
export function offsetMessageIdAt(
  bytes: Uint8Array,
  ipAt: number,
  ipLength: number,
  port: number,
  commitLogOffset: number,
): string {
  let out = "";
  for (let i = 0; i < ipLength; i++) out += HEX2[bytes[ipAt + i]!]!;
  const hi = Math.floor(commitLogOffset / 0x100000000);
  return out + hex32(port) + hex32(hi) + hex32(commitLogOffset - hi * 0x100000000);
}

function hexByte(b: number): string {
  return HEX2[b]!;
}

function hex32(v: number): string {
  return HEX2[(v >>> 24) & 0xff]! + HEX2[(v >>> 16) & 0xff]! + HEX2[(v >>> 8) & 0xff]! + HEX2[v & 0xff]!;
}
