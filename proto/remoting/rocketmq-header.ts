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
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function fitsInt16(n: number): boolean {
  return Number.isInteger(n) && n >= -32768 && n <= 32767;
}

/** Whether a command can travel with a ROCKETMQ header (code and version are int16 there). */
export function canEncodeRocketmqHeader(cmd: RemotingCommand): boolean {
  return fitsInt16(cmd.code) && fitsInt16(cmd.version);
}

export function encodeRocketmqHeader(cmd: RemotingCommand): Uint8Array {
  if (!canEncodeRocketmqHeader(cmd)) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `code ${cmd.code} does not fit a ROCKETMQ header (int16)`);
  }
  const remark = cmd.remark ? utf8Encoder.encode(cmd.remark) : new Uint8Array(0);
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  let extLen = 0;
  for (const [key, value] of Object.entries(cmd.extFields)) {
    const k = utf8Encoder.encode(key);
    const v = utf8Encoder.encode(value);
    if (k.length > 32767)
      throw new MqError(ResponseCode.SYSTEM_ERROR, "extFields key longer than 32767 bytes");
    entries.push([k, v]);
    extLen += 2 + k.length + 4 + v.length;
  }
  const out = new Uint8Array(2 + 1 + 2 + 4 + 4 + 4 + remark.length + 4 + extLen);
  const view = new DataView(out.buffer);
  let pos = 0;
  view.setInt16(pos, cmd.code);
  pos += 2;
  view.setInt8(pos, languageToByte(cmd.language));
  pos += 1;
  view.setInt16(pos, cmd.version);
  pos += 2;
  view.setInt32(pos, cmd.opaque);
  pos += 4;
  view.setInt32(pos, cmd.flag);
  pos += 4;
  view.setInt32(pos, remark.length);
  pos += 4;
  out.set(remark, pos);
  pos += remark.length;
  view.setInt32(pos, extLen);
  pos += 4;
  for (const [k, v] of entries) {
    view.setInt16(pos, k.length);
    pos += 2;
    out.set(k, pos);
    pos += k.length;
    view.setInt32(pos, v.length);
    pos += 4;
    out.set(v, pos);
    pos += v.length;
  }
  return out;
}

export function decodeRocketmqHeader(bytes: Uint8Array): CommandHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  /** Throws unless `n` more bytes (n >= 0) are there before `limit`. */
  const need = (n: number, what: string, limit = bytes.length) => {
    if (n < 0 || pos + n > limit) {
      throw new RemotingDecodeError("HEADER_MALFORMED", `ROCKETMQ header truncated at ${what}`);
    }
  };
  need(13, "fixed fields");
  const code = view.getInt16(0);
  const language = languageFromByte(view.getInt8(2));
  const version = view.getInt16(3);
  const opaque = view.getInt32(5);
  const flag = view.getInt32(9);
  pos = 13;

  need(4, "remark length");
  const remarkLen = view.getInt32(pos);
  pos += 4;
  need(remarkLen, "remark");
  const remark = remarkLen > 0 ? utf8Decoder.decode(bytes.subarray(pos, pos + remarkLen)) : undefined;
  pos += remarkLen;

  need(4, "extFields length");
  const extLen = view.getInt32(pos);
  pos += 4;
  need(extLen, "extFields");
  const extEnd = pos + extLen;
  const extFields: Record<string, string> = {};
  while (pos < extEnd) {
    need(2, "extFields key length", extEnd);
    const keyLen = view.getInt16(pos);
    pos += 2;
    need(keyLen, "extFields key", extEnd);
    const key = utf8Decoder.decode(bytes.subarray(pos, pos + keyLen));
    pos += keyLen;
    need(4, "extFields value length", extEnd);
    const valueLen = view.getInt32(pos);
    pos += 4;
    need(valueLen, "extFields value", extEnd);
    extFields[key] = utf8Decoder.decode(bytes.subarray(pos, pos + valueLen));
    pos += valueLen;
  }
  return { code, language, version, opaque, flag, ...(remark !== undefined ? { remark } : {}), extFields };
}
