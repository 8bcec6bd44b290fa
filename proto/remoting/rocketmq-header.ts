import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { RemotingDecodeError } from "./decode-error.ts";
import type { CommandHeader } from "./json-header.ts";
import { languageFromByte, languageToByte } from "./language-code.ts";
import type { RemotingCommand } from "./remoting-command.ts";

/*
 * ROCKETMQ binary header (RocketMQSerializable), big-endian:
 *   code int16 | language int8 | version int16 | opaque int32 | flag int32
 *   | remarkLen int32 + UTF-8 remark (0 = none)
 *   | extLen int32 + repeated (keyLen int16 + key, valueLen int32 + value)
 *
 * This codec runs for every request and response, so it reads and writes bytes by hand: no DataView (reading
 * `.buffer` of a small typed array makes JSC materialize it), no subarray and TextDecoder call per field.
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Bytes before the remark: code, language, version, opaque, flag. */
const FIXED_LENGTH = 13;

/** One-character strings by char code: SEND_MESSAGE_V2 and PULL_MESSAGE_V2 keys are single letters. */
const ASCII_CHARS: readonly string[] = Object.freeze(
  Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
);

export function fitsInt16(n: number): boolean {
  return Number.isInteger(n) && n >= -32768 && n <= 32767;
}

/** Whether a command can travel with a ROCKETMQ header (code and version are int16 there). */
export function canEncodeRocketmqHeader(cmd: RemotingCommand): boolean {
  return fitsInt16(cmd.code) && fitsInt16(cmd.version);
}

/**
 * Writes `s` as UTF-8 at `out[at]` and returns the position after it. ASCII (the usual case) is copied char by
 * char; anything else goes through TextEncoder (a lone surrogate becomes U+FFFD). `out` has 3 bytes per UTF-16
 * unit of room, UTF-8's worst case.
 */
function writeString(out: Uint8Array, at: number, s: string): number {
  const length = s.length;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return at + utf8Encoder.encodeInto(s, out.subarray(at)).written;
    out[at + i] = c;
  }
  return at + length;
}

function writeInt16(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 8;
  out[at + 1] = v;
}

function writeInt32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/**
 * Room enough for `cmd`'s ROCKETMQ header (UTF-8's worst case of 3 bytes per UTF-16 unit; writeRocketmqHeader
 * says how much it used). Throws MqError when the code or version does not fit int16.
 */
export function rocketmqHeaderBound(cmd: RemotingCommand): number {
  if (!canEncodeRocketmqHeader(cmd)) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `code ${cmd.code} does not fit a ROCKETMQ header (int16)`);
  }
  let units = cmd.remark?.length ?? 0;
  let entries = 0;
  const ext = cmd.extFields;
  for (const key in ext) {
    units += key.length + ext[key]!.length;
    entries++;
  }
  return FIXED_LENGTH + 4 + 4 + entries * 6 + units * 3;
}

/**
 * Writes `cmd`'s ROCKETMQ header at `out[at]`, with `opaque` and `flag` in place of the command's own, and returns
 * the position after it. The caller made rocketmqHeaderBound(cmd) bytes of room. Throws MqError on a key over
 * 32767 bytes (its length is an int16).
 */
export function writeRocketmqHeader(
  cmd: RemotingCommand,
  opaque: number,
  flag: number,
  out: Uint8Array,
  at: number,
): number {
  let pos = at;
  writeInt16(out, pos, cmd.code);
  out[pos + 2] = languageToByte(cmd.language);
  writeInt16(out, pos + 3, cmd.version);
  writeInt32(out, pos + 5, opaque);
  writeInt32(out, pos + 9, flag);
  pos += FIXED_LENGTH;
  const remarkEnd = writeString(out, pos + 4, cmd.remark ?? "");
  writeInt32(out, pos, remarkEnd - pos - 4);
  const extAt = remarkEnd;
  pos = extAt + 4;
  const ext = cmd.extFields;
  for (const key in ext) {
    const keyEnd = writeString(out, pos + 2, key);
    if (keyEnd - pos - 2 > 32767)
      throw new MqError(ResponseCode.SYSTEM_ERROR, "extFields key longer than 32767 bytes");
    writeInt16(out, pos, keyEnd - pos - 2);
    const valueEnd = writeString(out, keyEnd + 4, ext[key]!);
    writeInt32(out, keyEnd, valueEnd - keyEnd - 4);
    pos = valueEnd;
  }
  writeInt32(out, extAt, pos - extAt - 4);
  return pos;
}

export function encodeRocketmqHeader(cmd: RemotingCommand): Uint8Array {
  const out = new Uint8Array(rocketmqHeaderBound(cmd));
  return out.subarray(0, writeRocketmqHeader(cmd, cmd.opaque, cmd.flag, out, 0));
}

function truncated(what: string): RemotingDecodeError {
  return new RemotingDecodeError("HEADER_MALFORMED", `ROCKETMQ header truncated at ${what}`);
}

function readInt32(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function readInt16(b: Uint8Array, at: number): number {
  return (((b[at]! << 8) | b[at + 1]!) << 16) >> 16;
}

function isAscii(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return false;
  return true;
}

export function decodeRocketmqHeader(bytes: Uint8Array): CommandHeader {
  const length = bytes.length;
  if (length < FIXED_LENGTH) throw truncated("fixed fields");
  const code = readInt16(bytes, 0);
  const language = languageFromByte((bytes[2]! << 24) >> 24);
  const version = readInt16(bytes, 3);
  const opaque = readInt32(bytes, 5);
  const flag = readInt32(bytes, 9);
  let pos = FIXED_LENGTH;

  if (pos + 4 > length) throw truncated("remark length");
  const remarkLen = readInt32(bytes, pos);
  pos += 4;
  if (remarkLen < 0 || pos + remarkLen > length) throw truncated("remark");
  const remark = remarkLen > 0 ? utf8Decoder.decode(bytes.subarray(pos, pos + remarkLen)) : undefined;
  pos += remarkLen;

  if (pos + 4 > length) throw truncated("extFields length");
  const extLen = readInt32(bytes, pos);
  pos += 4;
  if (extLen < 0 || pos + extLen > length) throw truncated("extFields");
  const extFields = readExtFields(bytes, pos, pos + extLen);

  const header: { -readonly [K in keyof CommandHeader]: CommandHeader[K] } = {
    code,
    language,
    version,
    opaque,
    flag,
    extFields,
  };
  if (remark !== undefined) header.remark = remark;
  return header;
}

/**
 * Reads the extFields area `bytes[start, end)`; throws HEADER_MALFORMED when an entry runs past its end. All-ASCII
 * areas (nearly every header) take one native decode of the whole area, each key and value then is a substring
 * of it (byte offsets are char offsets) and one-letter keys come from a table. An area with other bytes has each
 * key and value decoded as UTF-8 on its own (invalid bytes become U+FFFD).
 */
function readExtFields(bytes: Uint8Array, start: number, end: number): Record<string, string> {
  const extFields: Record<string, string> = {};
  if (start === end) return extFields;
  const text = isAscii(bytes, start, end) ? utf8Decoder.decode(bytes.subarray(start, end)) : undefined;
  let pos = start;
  while (pos < end) {
    if (pos + 2 > end) throw truncated("extFields key length");
    const keyLen = readInt16(bytes, pos);
    pos += 2;
    if (keyLen < 0 || pos + keyLen > end) throw truncated("extFields key");
    const keyStart = pos;
    pos += keyLen;
    if (pos + 4 > end) throw truncated("extFields value length");
    const valueLen = readInt32(bytes, pos);
    pos += 4;
    if (valueLen < 0 || pos + valueLen > end) throw truncated("extFields value");
    if (text !== undefined) {
      const key =
        keyLen === 1 ? ASCII_CHARS[bytes[keyStart]!]! : text.substring(keyStart - start, pos - 4 - start);
      extFields[key] = text.substring(pos - start, pos + valueLen - start);
    } else {
      const key = utf8Decoder.decode(bytes.subarray(keyStart, keyStart + keyLen));
      extFields[key] = utf8Decoder.decode(bytes.subarray(pos, pos + valueLen));
    }
    pos += valueLen;
  }
  return extFields;
}
