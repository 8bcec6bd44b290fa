/**
 * Typed configuration keys. Each role declares a schema of these specs; the loader coerces raw values
 * (strings from broker.conf / env / flags, JSON values from rmq-proxy.json) and rejects wrong types with a
 * message naming the key.
 */
export type KeySpec =
  | { type: "string"; default: string; doc?: string }
  | { type: "int"; default: number; min?: number; max?: number; doc?: string }
  | { type: "bool"; default: boolean; doc?: string }
  | { type: "enum"; values: readonly string[]; default: string; doc?: string };

export type Schema = Record<string, KeySpec>;

type ValueOf<S extends KeySpec> = S extends { type: "int" }
  ? number
  : S extends { type: "bool" }
    ? boolean
    : S extends { type: "enum"; values: readonly (infer V)[] }
      ? V
      : string;

export type ConfigOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export const str = (def: string, doc?: string) => ({ type: "string", default: def, doc }) as const;
export const int = (def: number, opts: { min?: number; max?: number; doc?: string } = {}) =>
  ({ type: "int", default: def, ...opts }) as const;
export const bool = (def: boolean, doc?: string) => ({ type: "bool", default: def, doc }) as const;
export const oneOf = <const V extends readonly string[]>(values: V, def: V[number], doc?: string) =>
  ({ type: "enum", values, default: def, doc }) as const;

/** Why a value was refused; `key` and `source` let the message point at the culprit. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly source: string,
    detail: string,
  ) {
    super(`config key "${key}" (from ${source}): ${detail}`);
    this.name = "ConfigError";
  }
}

/** Coerce one raw value to the spec's type, or throw ConfigError. */
export function coerce(key: string, spec: KeySpec, raw: unknown, source: string): string | number | boolean {
  switch (spec.type) {
    case "string":
      if (typeof raw === "string") return raw.trim();
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      throw new ConfigError(key, source, `expected a string, got ${describe(raw)}`);
    case "int": {
      let n: number;
      if (typeof raw === "number") n = raw;
      else if (typeof raw === "string" && /^\s*[-+]?\d+\s*$/.test(raw)) n = Number(raw.trim());
      else throw new ConfigError(key, source, `expected an integer, got ${describe(raw)}`);
      if (!Number.isSafeInteger(n))
        throw new ConfigError(key, source, `expected an integer, got ${describe(raw)}`);
      if (spec.min !== undefined && n < spec.min)
        throw new ConfigError(key, source, `${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max)
        throw new ConfigError(key, source, `${n} is above the maximum ${spec.max}`);
      return n;
    }
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && /^\s*(true|false)\s*$/i.test(raw))
        return raw.trim().toLowerCase() === "true";
      throw new ConfigError(key, source, `expected true or false, got ${describe(raw)}`);
    case "enum": {
      const text = typeof raw === "string" ? raw.trim() : undefined;
      const hit =
        text === undefined ? undefined : spec.values.find((v) => v.toLowerCase() === text.toLowerCase());
      if (hit === undefined)
        throw new ConfigError(key, source, `expected one of ${spec.values.join(", ")}, got ${describe(raw)}`);
      return hit;
    }
  }
}

function describe(raw: unknown): string {
  if (typeof raw === "string") return JSON.stringify(raw);
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "an array";
  if (typeof raw === "object") return "an object";
  return `${typeof raw} ${String(raw)}`;
}

export function defaultsOf<S extends Schema>(schema: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) out[key] = spec.default;
  return out as ConfigOf<S>;
}
