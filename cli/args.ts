import { parseArgs } from "node:util";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { OptionSpec, OptionSpecs, OptionValues } from "./command.ts";

/** A bad command line (unknown command or flag, missing or malformed value): exit status 2, not 1. */
export class UsageError extends MqError {
  constructor(message: string) {
    super(ResponseCode.INVALID_PARAMETER, message);
    this.name = "UsageError";
  }
}

/** Flags every command takes. */
export const commonOptions: OptionSpecs = Object.freeze({
  namesrvAddr: {
    type: "string",
    short: "n",
    valueName: "addr",
    description:
      "nameserver address(es), host:port separated by ';' (default: $NAMESRV_ADDR or 127.0.0.1:9876)",
  },
  json: { type: "boolean", description: "print machine-readable JSON instead of text" },
  help: { type: "boolean", short: "h", description: "print this help" },
});

export function flagName(name: string, spec: OptionSpec): string {
  return spec.short ? `-${spec.short} (--${name})` : `--${name}`;
}

/**
 * Parses `argv` against `specs` (node:util parseArgs, short and long forms, `-tX`, `--topic=X`), then checks what
 * parseArgs leaves to us: unknown flags, string flags without a value, boolean flags with one, stray positionals
 * and (unless -h is given) missing required flags. Every failure is a one-line UsageError.
 */
export function parseCommandArgs(command: string, specs: OptionSpecs, argv: readonly string[]): OptionValues {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  const { values, tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // `-t -n addr`: parseArgs takes "-n" as the topic; a value that is one of our flags means -t had none.
  const isFlag = (v: string) =>
    Object.entries(specs).some(([name, spec]) => v === `-${spec.short}` || v.split("=")[0] === `--${name}`);
  for (const token of tokens) {
    if (token.kind === "positional") {
      throw new UsageError(`${command}: unexpected argument "${token.value}"`);
    }
    if (token.kind !== "option") continue;
    const spec = specs[token.name];
    if (!spec) throw new UsageError(`${command}: unknown flag ${token.rawName} (see ${command} -h)`);
    if (
      spec.type === "string" &&
      (token.value === undefined || (!token.inlineValue && isFlag(token.value)))
    ) {
      throw new UsageError(`${command}: flag ${flagName(token.name, spec)} needs a value`);
    }
    if (spec.type === "boolean" && token.value !== undefined) {
      throw new UsageError(`${command}: flag ${flagName(token.name, spec)} takes no value`);
    }
  }
  const out: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = typeof value === "string" ? value.trim() : value;
  }
  if (!out.help) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.required && (out[name] === undefined || out[name] === "")) {
        throw new UsageError(`${command}: missing required flag ${flagName(name, spec)}`);
      }
    }
  }
  return out;
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function intFlag(
  values: OptionValues,
  name: string,
  spec: OptionSpec,
  range: { min: number; max: number },
  fallback: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(
      `flag ${flagName(name, spec)} must be an integer in ${range.min}..${range.max}, got "${String(raw)}"`,
    );
  }
  return n;
}

/** A `true`/`false` flag (mqadmin's `-o true`), or `fallback` when absent. */
export function boolFlag(values: OptionValues, name: string, spec: OptionSpec, fallback: boolean): boolean {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw === "string" && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === "true";
  throw new UsageError(`flag ${flagName(name, spec)} must be true or false, got "${String(raw)}"`);
}

/** The nameserver list: -n, else $NAMESRV_ADDR, else 127.0.0.1:9876; ';'-separated like mqadmin. */
export function namesrvAddrs(
  values: OptionValues,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const raw = (typeof values.namesrvAddr === "string" ? values.namesrvAddr : undefined) ?? env.NAMESRV_ADDR;
  const list = (raw ?? "127.0.0.1:9876")
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) throw new UsageError("no nameserver address given (-n host:port)");
  for (const addr of list) {
    if (!/^.+:\d{1,5}$/.test(addr)) throw new UsageError(`nameserver address "${addr}" is not host:port`);
  }
  return list;
}
