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
