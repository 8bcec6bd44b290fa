import { decodeMessageProperties } from "./properties.ts";

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
  /** A name starts with __RMQ.TRANSIENT. (never stored). */
  transient: boolean;
}

export function createEncodedPropertiesScan(): EncodedPropertiesScan {
  return { byteLength: 0, uniqKey: undefined, keys: undefined, tags: undefined, transient: false };
}

const TRANSIENT_PREFIX = "__RMQ.TRANSIENT.";

/**
 * True when `s` can be stored byte for byte: every entry is `name\u0001value\u0002` with a non-empty name and no
 * \u0001 in the value, the last entry is terminated, and UNIQ_KEY (non-empty), KEYS and TAGS each appear at most
 * once. Then `out` holds their values and the byte length, and `into`, if given, the decoded entries (as
 * decodeMessageProperties gives them: a later duplicate name wins). Anything else (false) is left to the
 * decode-and-encode path, which repairs or refuses it as before; `into` is then incomplete.
 */
export function scanEncodedProperties(
  s: string,
  out: EncodedPropertiesScan,
  into?: Record<string, string>,
): boolean {
  out.uniqKey = undefined;
  out.keys = undefined;
  out.tags = undefined;
  out.transient = false;
  const length = s.length;
  if (length > 0 && s.charCodeAt(length - 1) !== 2) return false;
  let start = 0;
  while (start < length) {
    const end = s.indexOf("\u0002", start);
    const sep = s.indexOf("\u0001", start);
    if (sep <= start || sep > end) return false; // no separator in this entry, or an empty name
    const again = s.indexOf("\u0001", sep + 1);
    if (again >= 0 && again < end) return false; // \u0001 in the value
    if (into !== undefined) into[s.slice(start, sep)] = s.slice(sep + 1, end);
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
    } else if (nameLength >= TRANSIENT_PREFIX.length && s.startsWith(TRANSIENT_PREFIX, start)) {
      out.transient = true;
    }
    start = end + 1;
  }
  out.byteLength = Buffer.byteLength(s, "utf8");
  return true;
}

/** What decodeMessagePropertiesKeepingSource learnt of a string that can be stored as is. */
export interface EncodedPropertiesSource extends EncodedPropertiesScan {
  source: string;
}

const SOURCE = Symbol("encodedPropertiesSource");

/**
 * decodeMessageProperties, and in the same pass scanEncodedProperties: when `s` can be stored as is, the object
 * carries it with what the scan read (a non-enumerable symbol, so neither for-in, keys nor spread copies carry it;
 * see encodedSourceOf). A consumer that changes nothing may then store `s` itself without scanning it again. A
 * string that cannot be stored as is (rare: malformed) is decoded once more by decodeMessageProperties.
 */
export function decodeMessagePropertiesKeepingSource(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const found: EncodedPropertiesSource = { source: s, ...createEncodedPropertiesScan() };
  if (!scanEncodedProperties(s, found, out)) return decodeMessageProperties(s);
  Object.defineProperty(out, SOURCE, { value: found, enumerable: false });
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
