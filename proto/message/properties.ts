import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from "./message-const.ts";

/** Longest encoded properties a CommitLog record can hold: its length field is a Java short. */
export const MAX_PROPERTIES_BYTES = 32767;

const utf8Decoder = new TextDecoder();

/**
 * Encodes properties the RocketMQ way: `name\u0001value\u0002` per entry, in insertion order.
 * Throws MqError(MESSAGE_ILLEGAL) when a name is empty or a name or value contains a separator char, since the
 * result could not be decoded back.
 * @example encodeMessageProperties({ TAGS: "a", KEYS: "k1 k2" }) // "TAGS\u0001a\u0002KEYS\u0001k1 k2\u0002"
 */
export function encodeMessageProperties(properties: Readonly<Record<string, string>>): string {
  let out = "";
  for (const name in properties) {
    const value = properties[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") {
      throw new MqError(ResponseCode.MESSAGE_ILLEGAL, `property ${name} is not a string`);
    }
    if (name === "" || hasSeparator(name) || hasSeparator(value)) {
      throw new MqError(
        ResponseCode.MESSAGE_ILLEGAL,
        `property ${JSON.stringify(name)} has an empty name or contains \\u0001/\\u0002`,
      );
    }
    out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  }
  return out;
}

const SEPARATOR = /[\u0001\u0002]/;

function hasSeparator(s: string): boolean {
  return SEPARATOR.test(s);
}

/**
 * Decodes a properties string. Like MessageDecoder.string2messageProperties it accepts a missing trailing
 * `\u0002` and skips entries without a `\u0001`; a later duplicate name wins.
 */
export function decodeMessageProperties(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = s.length;
    const sep = s.indexOf(NAME_VALUE_SEPARATOR, start);
    if (sep >= start && sep < end) out[s.slice(start, sep)] = s.slice(sep + 1, end);
    start = end + 1;
  }
  return out;
}

/** Decodes UTF-8 properties bytes (as stored in a record); invalid UTF-8 becomes U+FFFD, never an exception. */
export function decodeMessagePropertiesBytes(bytes: Uint8Array): Record<string, string> {
  return bytes.length === 0 ? {} : decodeMessageProperties(utf8Decoder.decode(bytes));
}

/**
 * The UTF-8 byte length of encodeMessageProperties(properties) without the entry named `omit` (null keeps
 * all), validating as it does (MqError(MESSAGE_ILLEGAL)). With writeMessageProperties this encodes straight into a
 * record buffer: no intermediate string or byte array per message.
 */
export function measureMessageProperties(
  properties: Readonly<Record<string, string>>,
  omit: string | null,
): number {
  let length = 0;
  for (const name in properties) {
    const value = properties[name];
    if (value === undefined || value === null || name === omit) continue;
    if (typeof value !== "string") {
      throw new MqError(ResponseCode.MESSAGE_ILLEGAL, `property ${name} is not a string`);
    }
    const nameLength = utf8LengthWithoutSeparators(name);
    const valueLength = utf8LengthWithoutSeparators(value);
    if (nameLength <= 0 || valueLength < 0) {
      throw new MqError(
        ResponseCode.MESSAGE_ILLEGAL,
        `property ${JSON.stringify(name)} has an empty name or contains \\u0001/\\u0002`,
      );
    }
    length += nameLength + valueLength + 2;
  }
  return length;
}

/**
 * Writes the bytes measureMessageProperties measured (the same `omit`) at `target[at]` and returns the position after
 * them; the caller made room. Byte for byte what TextEncoder gives for encodeMessageProperties' string (a lone
 * surrogate becomes U+FFFD).
 */
export function writeMessageProperties(
  properties: Readonly<Record<string, string>>,
  omit: string | null,
  target: Uint8Array,
  at: number,
): number {
  let p = at;
  for (const name in properties) {
    const value = properties[name];
    if (value === undefined || value === null || name === omit) continue;
    p = writeUtf8(name, target, p);
    target[p++] = 1;
    p = writeUtf8(value, target, p);
    target[p++] = 2;
  }
  return p;
}

/** UTF-8 length of `s`, or -1 when it contains a property separator (\u0001, \u0002). */
function utf8LengthWithoutSeparators(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 1 || c === 2) return -1;
    } else if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 2; // the pair's two code units become four bytes
      i++;
    } else {
      n += 2; // three bytes, also for a lone surrogate (U+FFFD)
    }
  }
  return n;
}

function writeUtf8(s: string, target: Uint8Array, at: number): number {
  let p = at;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      target[p++] = c;
    } else if (c < 0x800) {
      target[p++] = 0xc0 | (c >> 6);
      target[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && isLowSurrogate(next)) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          target[p++] = 0xf0 | (cp >> 18);
          target[p++] = 0x80 | ((cp >> 12) & 0x3f);
          target[p++] = 0x80 | ((cp >> 6) & 0x3f);
          target[p++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      target[p++] = 0xe0 | (c >> 12);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
