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

/** UTF-8 byte length of `s` (exact; the slow path, for strings that are not all ASCII). */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return utf8Encoder.encode(s).length;
  return s.length;
}

/**
 * Writes `s` as UTF-8 at `out[at]` and returns the position after it. With `asciiOnly` it copies char by char
 * and returns -1 at the first char that is not ASCII; otherwise TextEncoder writes it (a lone surrogate becomes
 * U+FFFD) into the utf8Length(s) bytes of room the caller made.
 */
function writeString(out: Uint8Array, at: number, s: string, asciiOnly: boolean): number {
  const length = s.length;
  if (asciiOnly) {
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return -1;
      out[at + i] = c;
    }
    return at + length;
  }
  return at + utf8Encoder.encodeInto(s, out.subarray(at)).written;
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
 * Byte length of `cmd`'s ROCKETMQ header: exact with `asciiOnly` false; with it true, the length it has if every
 * string in it is ASCII (no scan; writeRocketmqHeader finds out). Throws MqError when the code or version does not
 * fit int16 or a key is over 32767 bytes (its length is an int16).
 */
export function rocketmqHeaderLength(cmd: RemotingCommand, asciiOnly: boolean): number {
  if (!canEncodeRocketmqHeader(cmd)) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `code ${cmd.code} does not fit a ROCKETMQ header (int16)`);
  }
  const length = asciiOnly ? (s: string) => s.length : utf8Length;
  let total = FIXED_LENGTH + 4 + (cmd.remark ? length(cmd.remark) : 0) + 4;
  const ext = cmd.extFields;
  for (const key in ext) {
    const keyLength = length(key);
    if (keyLength > 32767)
      throw new MqError(ResponseCode.SYSTEM_ERROR, "extFields key longer than 32767 bytes");
    total += 6 + keyLength + length(ext[key]!);
  }
  return total;
}

/**
 * Writes `cmd`'s ROCKETMQ header at `out[at]`, with `opaque` and `flag` in place of the command's own, into the
 * rocketmqHeaderLength(cmd, asciiOnly) bytes the caller made room for, and returns the position after it; -1 when
 * `asciiOnly` and a string is not ASCII (write it again without).
 */
export function writeRocketmqHeader(
  cmd: RemotingCommand,
  opaque: number,
  flag: number,
  out: Uint8Array,
  at: number,
  asciiOnly: boolean,
): number {
  writeInt16(out, at, cmd.code);
  out[at + 2] = languageToByte(cmd.language);
  writeInt16(out, at + 3, cmd.version);
  writeInt32(out, at + 5, opaque);
  writeInt32(out, at + 9, flag);
  const remarkAt = at + FIXED_LENGTH;
  const extAt = writeString(out, remarkAt + 4, cmd.remark ?? "", asciiOnly);
  if (extAt < 0) return -1;
  writeInt32(out, remarkAt, extAt - remarkAt - 4);
  let pos = extAt + 4;
  const ext = cmd.extFields;
  for (const key in ext) {
    const keyEnd = writeString(out, pos + 2, key, asciiOnly);
    if (keyEnd < 0) return -1;
    writeInt16(out, pos, keyEnd - pos - 2);
    const valueEnd = writeString(out, keyEnd + 4, ext[key]!, asciiOnly);
    if (valueEnd < 0) return -1;
    writeInt32(out, keyEnd, valueEnd - keyEnd - 4);
    pos = valueEnd;
  }
  writeInt32(out, extAt, pos - extAt - 4);
  return pos;
}

export function encodeRocketmqHeader(cmd: RemotingCommand): Uint8Array {
  const ascii = new Uint8Array(rocketmqHeaderLength(cmd, true));
  if (writeRocketmqHeader(cmd, cmd.opaque, cmd.flag, ascii, 0, true) >= 0) return ascii;
  const out = new Uint8Array(rocketmqHeaderLength(cmd, false));
  writeRocketmqHeader(cmd, cmd.opaque, cmd.flag, out, 0, false);
  return out;
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

/** Decodes the header in `bytes[start, end)` (the whole array by default; a frame decoder passes offsets). */
export function decodeRocketmqHeader(bytes: Uint8Array, start = 0, end = bytes.length): CommandHeader {
  if (start + FIXED_LENGTH > end) throw truncated("fixed fields");
  const code = readInt16(bytes, start);
  const language = languageFromByte((bytes[start + 2]! << 24) >> 24);
  const version = readInt16(bytes, start + 3);
  const opaque = readInt32(bytes, start + 5);
  const flag = readInt32(bytes, start + 9);
  let pos = start + FIXED_LENGTH;

  if (pos + 4 > end) throw truncated("remark length");
  const remarkLen = readInt32(bytes, pos);
  pos += 4;
  if (remarkLen < 0 || pos + remarkLen > end) throw truncated("remark");
  const remark = remarkLen > 0 ? utf8Decoder.decode(bytes.subarray(pos, pos + remarkLen)) : undefined;
  pos += remarkLen;

  if (pos + 4 > end) throw truncated("extFields length");
  const extLen = readInt32(bytes, pos);
  pos += 4;
  if (extLen < 0 || pos + extLen > end) throw truncated("extFields");
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
 * Reads the extFields area `bytes[start, end)`; throws HEADER_MALFORMED when an entry runs past its end.
 *
 * Fast path, taken by nearly every header: one native decode of the whole area. When that yields exactly one
 * UTF-16 unit per byte (UTF-8 never yields more; any multi-byte character, or invalid sequence longer than a byte,
 * yields fewer), every key and value is the substring at its byte offsets, equal to decoding it alone (bytes over
 * 0x7f there are lone invalid bytes, U+FFFD either way; the length bytes between fields decode to something never
 * read). One-letter ASCII keys come from a table. Otherwise each key and value is decoded as UTF-8 on its own.
 */
function readExtFields(bytes: Uint8Array, start: number, end: number): Record<string, string> {
  const extFields: Record<string, string> = {};
  if (start === end) return extFields;
  const whole = utf8Decoder.decode(bytes.subarray(start, end));
  const text = whole.length === end - start ? whole : undefined;
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
        keyLen === 1 && bytes[keyStart]! < 0x80
          ? ASCII_CHARS[bytes[keyStart]!]!
          : text.substring(keyStart - start, pos - 4 - start);
      extFields[key] = text.substring(pos - start, pos + valueLen - start);
    } else {
      const key = utf8Decoder.decode(bytes.subarray(keyStart, keyStart + keyLen));
      extFields[key] = utf8Decoder.decode(bytes.subarray(pos, pos + valueLen));
    }
    pos += valueLen;
  }
  return extFields;
}
