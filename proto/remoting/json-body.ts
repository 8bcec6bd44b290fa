import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";

/*
 * Remoting bodies are fastjson JSON. We always write standard JSON. Old Java peers (and Java nameservers talking
 * to clients below V4_9_4) write map keys that are numbers without quotes (`{0:"10.0.0.1:10911"}`), so the
 * reader quotes bare keys before giving up.
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function encodeJsonBody(value: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(value));
}

const KEY_CHAR = /[A-Za-z0-9_.+-]/;
const SPACE = /\s/;

/** Puts quotes around bare object keys (`{0:"a"}` -> `{"0":"a"}`), leaving strings and values alone. */
export function quoteBareKeys(text: string): string {
  let out = "";
  let inString = false;
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") {
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      inString = true;
      expectKey = false;
    } else if (ch === "{" || ch === ",") {
      expectKey = true;
    } else if (expectKey && KEY_CHAR.test(ch)) {
      let j = i;
      while (j < text.length && KEY_CHAR.test(text[j])) j++;
      let k = j;
      while (k < text.length && SPACE.test(text[k])) k++;
      const token = text.slice(i, j);
      out += text[k] === ":" ? `"${token}"` : token;
      expectKey = false;
      i = j;
      continue;
    } else if (!SPACE.test(ch)) {
      expectKey = false;
    }
    out += ch;
    i++;
  }
  return out;
}

/** Parses a JSON body (tolerating fastjson's bare keys); throws MqError(INVALID_PARAMETER) naming `what`. */
export function decodeJsonBody(body: Uint8Array | undefined, what: string): unknown {
  if (!body || body.length === 0) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, `${what} body is missing`);
  }
  return parseLenientJson(utf8Decoder.decode(body), `${what} body`);
}

/** JSON.parse, retried with fastjson's bare keys quoted; throws MqError(INVALID_PARAMETER) naming `what`. */
export function parseLenientJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    try {
      return JSON.parse(quoteBareKeys(text));
    } catch {
      const detail = first instanceof Error ? first.message : String(first);
      throw new MqError(ResponseCode.INVALID_PARAMETER, `${what} is not valid JSON: ${detail}`, {
        cause: first,
      });
    }
  }
}

/**
 * Small shape checks for decoded bodies; each throws MqError(INVALID_PARAMETER) naming the body and path.
 * `fallback` is used when the field is absent or null (fastjson omits nulls and Java fields have defaults).
 */
export function bodyReader(what: string) {
  const fail = (path: string, expected: string) =>
    new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${what} body: ${path} must be ${expected}`);
  const absent = (v: unknown) => v === undefined || v === null;
  return {
    object(v: unknown, path: string, fallback?: Record<string, unknown>): Record<string, unknown> {
      if (absent(v) && fallback) return fallback;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail(path, "an object");
      return v as Record<string, unknown>;
    },
    array(v: unknown, path: string, fallback?: unknown[]): unknown[] {
      if (absent(v) && fallback) return fallback;
      if (!Array.isArray(v)) throw fail(path, "an array");
      return v;
    },
    number(v: unknown, path: string, fallback?: number): number {
      if (absent(v) && fallback !== undefined) return fallback;
      if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v); // longs written as strings
      if (typeof v !== "number" || !Number.isFinite(v)) throw fail(path, "a number");
      return v;
    },
    string(v: unknown, path: string, fallback?: string): string {
      if (absent(v) && fallback !== undefined) return fallback;
      if (typeof v !== "string") throw fail(path, "a string");
      return v;
    },
    boolean(v: unknown, path: string, fallback?: boolean): boolean {
      if (absent(v) && fallback !== undefined) return fallback;
      if (typeof v !== "boolean") throw fail(path, "a boolean");
      return v;
    },
  };
}
