import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";

/**
 * A request family's header ("custom header" in RocketMQ) travels as flat string extFields. One generic codec
 * reads them against a schema and writes plain objects back; there is no class per header.
 */

export type HeaderValue = string | number | boolean | bigint | null | undefined;
export type HeaderValues = Readonly<Record<string, HeaderValue>>;

/** Field kinds: `int` is a Java int (32-bit), `long` a Java long kept as a safe JS integer. `?` = optional. */
export type HeaderFieldKind = "string" | "int" | "long" | "bool";
export type HeaderFieldSpec = HeaderFieldKind | `${HeaderFieldKind}?`;
export type HeaderSchema = Readonly<Record<string, HeaderFieldSpec>>;

type KindType<K> = K extends "string"
  ? string
  : K extends "int" | "long"
    ? number
    : K extends "bool"
      ? boolean
      : never;
type RequiredPart<S> = { [K in keyof S as S[K] extends `${string}?` ? never : K]: KindType<S[K]> };
type OptionalPart<S> = {
  [K in keyof S as S[K] extends `${string}?` ? K : never]?: S[K] extends `${infer B}?` ? KindType<B> : never;
};
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The typed object `readHeader` returns for schema `S`. */
export type HeaderOf<S extends HeaderSchema> = Simplify<RequiredPart<S> & OptionalPart<S>>;

/** Header values to extFields: numbers, booleans and bigints become strings; null/undefined are left out. */
export function toExtFields(values?: HeaderValues): Record<string, string> {
  const out: Record<string, string> = {};
  if (!values) return out;
  for (const key in values) {
    if (!Object.hasOwn(values, key)) continue;
    const value = values[key];
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : String(value);
  }
  return out;
}

const INTEGER = /^[+-]?\d+$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function invalid(message: string): MqError {
  return new MqError(ResponseCode.INVALID_PARAMETER, message);
}

/** A decimal integer string's value (NaN when it is not one); short plain digit strings skip the regex. */
function parseDecimal(raw: string): number {
  const length = raw.length;
  if (length === 0 || length > 15) return INTEGER.test(raw) ? Number(raw) : Number.NaN;
  const negative = raw.charCodeAt(0) === 45; // "-"
  let i = negative ? 1 : 0;
  if (i === length) return Number.NaN;
  let n = 0;
  for (; i < length; i++) {
    const d = raw.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return INTEGER.test(raw) ? Number(raw) : Number.NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function parseField(key: string, kind: HeaderFieldKind, raw: string): string | number | boolean {
  switch (kind) {
    case "string":
      return raw;
    case "int":
    case "long": {
      const n = parseDecimal(raw);
      const ok = kind === "int" ? n >= INT_MIN && n <= INT_MAX : Number.isSafeInteger(n);
      if (!ok)
        throw invalid(`header field "${key}" must be ${kind === "int" ? "an int" : "a long"}, got "${raw}"`);
      return n;
    }
    case "bool": {
      if (raw === "true") return true; // what clients send; toLowerCase only for the rest
      if (raw === "false") return false;
      const lower = raw.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      throw invalid(`header field "${key}" must be true or false, got "${raw}"`);
    }
  }
}

/**
 * Reads a request family's header from a command's extFields. Throws MqError(INVALID_PARAMETER) naming the key
 * when a required field is missing or a value has the wrong type; keys not in the schema are ignored.
 * `wireNames` gives the key a field travels under when that is not its name (SEND_MESSAGE_V2's one-letter keys);
 * errors still name the field.
 * @example
 * const h = readHeader(cmd, { topic: "string", queueId: "int", queueOffset: "long", order: "bool?" });
 * // h: { topic: string; queueId: number; queueOffset: number; order?: boolean }
 */
export function readHeader<const S extends HeaderSchema>(
  cmd: { readonly extFields: Readonly<Record<string, string>> },
  schema: S,
  wireNames?: Readonly<Partial<Record<keyof S & string, string>>>,
): HeaderOf<S> {
  const ext = cmd.extFields;
  const out: Record<string, string | number | boolean> = {};
  for (const key in schema) {
    const spec = schema[key]!;
    const wire = wireNames?.[key] ?? key;
    // typeof, not hasOwn (a second lookup): what Object.prototype lends (toString...) is never a string
    const raw = ext[wire];
    const optional = spec.charCodeAt(spec.length - 1) === 63; // "?"
    if (typeof raw !== "string") {
      if (!optional) throw invalid(`header field "${key}" is missing`);
      continue;
    }
    out[key] = spec.charCodeAt(0) === 115 ? raw : parseField(key, kindOf(spec), raw); // 115: "string"
  }
  return out as HeaderOf<S>;
}

/** A spec's kind without allocating: the kinds differ in their first letter. */
function kindOf(spec: HeaderFieldSpec): HeaderFieldKind {
  switch (spec.charCodeAt(0)) {
    case 115: // s
      return "string";
    case 105: // i
      return "int";
    case 108: // l
      return "long";
    default:
      return "bool";
  }
}
