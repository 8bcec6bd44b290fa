import type { AdminClient } from "./admin-client.ts";

/** One flag of a command, named as mqadmin names it (`-t, --topic`). */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  description: string;
  required?: boolean;
  /** Shown in help: `-t, --topic <topic>`. */
  valueName?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed flags: strings for string options, true for boolean ones; absent when not given. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** Where a command writes; tests capture it, bin/admin.ts passes the process streams. */
export interface AdminOutput {
  out(line: string): void;
}

export interface CommandContext {
  admin: AdminClient;
  output: AdminOutput;
  /** --json: print one JSON document instead of text. */
  json: boolean;
}

/** An mqadmin subcommand: its name, one-line summary, flags (beyond the common ones) and what it does. */
export interface AdminCommand {
  name: string;
  summary: string;
  options: OptionSpecs;
  run(ctx: CommandContext, values: OptionValues): Promise<void>;
}

/** The value of a string flag the parser already checked as required. */
export function requiredString(values: OptionValues, name: string): string {
  const v = values[name];
  if (typeof v !== "string") throw new TypeError(`flag --${name} was not parsed as required`);
  return v;
}

export function optionalString(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}
