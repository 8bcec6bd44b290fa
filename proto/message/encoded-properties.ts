/**
 * Properties that arrive already encoded (a SEND_MESSAGE header's `properties`) can be stored as they came instead
 * of being decoded, copied, measured and written again. These helpers check that a string is safe to store as is
 * and carry it beside its decoded object.
 */

/** What scanEncodedProperties reads out of a string it accepts: what the store's routing needs. */
export interface EncodedPropertiesScan {
  /** UTF-8 length of the string (a lone surrogate counts 3 bytes, as TextEncoder writes U+FFFD). */
  byteLength: number;
  uniqKey: string | undefined;
  keys: string | undefined;
  tags: string | undefined;
}

export function createEncodedPropertiesScan(): EncodedPropertiesScan {
  return { byteLength: 0, uniqKey: undefined, keys: undefined, tags: undefined };
}

/**
 * True when `s` can be stored byte for byte: every entry is `name\u0001value\u0002` with a non-empty name and no
 * \u0001 in the value, the last entry is terminated, and UNIQ_KEY (non-empty), KEYS and TAGS each appear at most
 * once. Then `out` holds their values and the byte length. Anything else (false) is left to the decode-and-encode
 * path, which repairs or refuses it as before. Other names may repeat: every reader keeps the last, as decoding does.
 */
export function scanEncodedProperties(s: string, out: EncodedPropertiesScan): boolean {
  out.uniqKey = undefined;
  out.keys = undefined;
  out.tags = undefined;
  const length = s.length;
  if (length > 0 && s.charCodeAt(length - 1) !== 2) return false;
  let start = 0;
  while (start < length) {
    const end = s.indexOf("\u0002", start);
    const sep = s.indexOf("\u0001", start);
    if (sep <= start || sep > end) return false; // no separator in this entry, or an empty name
    const again = s.indexOf("\u0001", sep + 1);
    if (again >= 0 && again < end) return false; // \u0001 in the value
    const nameLength = sep - start;
    // The three names the store routes by differ in length (8, 4, 4) or first char: compare only candidates.
    if (nameLength === 8) {
      if (s.startsWith("UNIQ_KEY", start)) {
        if (out.uniqKey !== undefined || sep + 1 === end) return false;
        out.uniqKey = s.slice(sep + 1, end);
      }
    } else if (nameLength === 4) {
      if (s.startsWith("KEYS", start)) {
        if (out.keys !== undefined) return false;
        out.keys = s.slice(sep + 1, end);
      } else if (s.startsWith("TAGS", start)) {
        if (out.tags !== undefined) return false;
        out.tags = s.slice(sep + 1, end);
      }
    }
    start = end + 1;
  }
  out.byteLength = Buffer.byteLength(s, "utf8");
  return true;
}

/** What decodeMessagePropertiesKeepingSource learnt of a string that can be stored as is. */
export interface EncodedPropertiesSource extends EncodedPropertiesScan {
  source: string;
  /** A name starts with __RMQ.TRANSIENT. (never stored). */
  transient: boolean;
}

const SOURCE = Symbol("encodedPropertiesSource");
const TRANSIENT_PREFIX = "__RMQ.TRANSIENT.";

/**
 * decodeMessageProperties, and in the same pass scanEncodedProperties: when `s` can be stored as is, the object
 * carries it with what the scan read (a non-enumerable symbol, so neither for-in, keys nor spread copies carry it;
 * see encodedSourceOf). A consumer that changes nothing may then store `s` itself without scanning it again.
 */
export function decodeMessagePropertiesKeepingSource(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const length = s.length;
  let storable = length === 0 || s.charCodeAt(length - 1) === 2;
  let uniqKey: string | undefined;
  let keys: string | undefined;
  let tags: string | undefined;
  let transient = false;
  let start = 0;
  while (start < length) {
    let end = s.indexOf("\u0002", start);
    if (end < 0) end = length;
    const sep = s.indexOf("\u0001", start);
    if (sep >= start && sep < end) {
      const name = s.slice(start, sep);
      const value = s.slice(sep + 1, end);
      out[name] = value;
      if (!storable) {
        // decoding goes on; the string will be re-encoded
      } else if (sep === start || value.includes("\u0001")) {
        storable = false;
      } else if (name === "UNIQ_KEY") {
        if (uniqKey !== undefined || value === "") storable = false;
        uniqKey = value;
      } else if (name === "KEYS") {
        if (keys !== undefined) storable = false;
        keys = value;
      } else if (name === "TAGS") {
        if (tags !== undefined) storable = false;
        tags = value;
      } else if (name.startsWith(TRANSIENT_PREFIX)) {
        transient = true;
      }
    } else {
      storable = false;
    }
    start = end + 1;
  }
  if (storable) {
    const found: EncodedPropertiesSource = {
      source: s,
      byteLength: Buffer.byteLength(s, "utf8"),
      uniqKey,
      keys,
      tags,
      transient,
    };
    Object.defineProperty(out, SOURCE, { value: found, enumerable: false });
  }
  return out;
}

/**
 * What decodeMessagePropertiesKeepingSource found when it decoded `properties` from a string that can be stored
 * as is; undefined otherwise (another object, or a string that must be re-encoded).
 */
export function encodedSourceOf(
  properties: Readonly<Record<string, string>> | undefined,
): EncodedPropertiesSource | undefined {
  if (properties === undefined || properties === null) return undefined;
  return (properties as { [SOURCE]?: EncodedPropertiesSource })[SOURCE];
}
