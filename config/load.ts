import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { extname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseProperties } from "./properties.ts";
import { ConfigError, type ConfigOf, coerce, defaultsOf, type Schema } from "./schema.ts";

export interface LoadConfigOptions {
  /** Command-line arguments after the script name. */
  argv?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Extra short/long flags mapped onto schema keys, e.g. `{ mode: "proxyMode" }`. */
  aliases?: Record<string, string>;
}

export interface LoadedConfig<S extends Schema> {
  config: ConfigOf<S>;
  /** Unknown keys and other things worth a log line; nothing here stopped the load. */
  warnings: string[];
  /** Where each non-default value came from ("file broker.conf:3", "env BUNMQ_LISTEN_PORT", "flag --listenPort"). */
  sources: Partial<Record<keyof S, string>>;
  /** `-p`: print the effective configuration and exit. `-h`: print usage and exit. */
  printConfig: boolean;
  help: boolean;
}

/**
 * Builds a role's configuration: defaults < config file (`-c`, broker.conf properties or rmq-proxy.json) <
 * environment (`BUNMQ_<UPPER_SNAKE_KEY>`, and RocketMQ's `NAMESRV_ADDR`) < flags (`-n addr`, `--<key> value`).
 * Wrong types throw ConfigError naming the key and where the value came from; unknown keys become warnings.
 */
export function loadConfig<S extends Schema>(schema: S, opts: LoadConfigOptions = {}): LoadedConfig<S> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const aliases = opts.aliases ?? {};
  const config = defaultsOf(schema) as Record<string, unknown>;
  const sources: Record<string, string> = {};
  const warnings: string[] = [];
  const set = (key: string, raw: unknown, source: string) => {
    config[key] = coerce(key, schema[key], raw, source);
    sources[key] = source;
  };

  const flags = parseFlags(schema, opts.argv ?? [], aliases);

  if (flags.configFile) {
    const path = resolve(cwd, flags.configFile);
    for (const { key, value, where } of readConfigFile(path)) {
      if (key in schema) set(key, value, `file ${where}`);
      else warnings.push(`unknown config key "${key}" in ${where} (ignored)`);
    }
  }

  for (const key of Object.keys(schema)) {
    const name = envName(key);
    if (env[name] !== undefined) set(key, env[name], `env ${name}`);
  }
  if ("namesrvAddr" in schema && env.NAMESRV_ADDR !== undefined && env[envName("namesrvAddr")] === undefined)
    set("namesrvAddr", env.NAMESRV_ADDR, "env NAMESRV_ADDR");

  for (const [key, value] of Object.entries(flags.values)) set(key, value, `flag --${key}`);

  const home = resolve(cwd, env.BUNMQ_HOME ?? "data");
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== "string") continue;
    config[key] = value.replaceAll("$BUNMQ_HOME", home).replace(/^~(?=$|\/)/, homedir());
  }

  return {
    config: config as ConfigOf<S>,
    warnings,
    sources: sources as LoadedConfig<S>["sources"],
    printConfig: flags.printConfig,
    help: flags.help,
  };
}

/** `listenPort` -> `BUNMQ_LISTEN_PORT`. */
export function envName(key: string): string {
  const words = key.replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").replace(/([a-z0-9])([A-Z])/g, "$1_$2");
  return "BUNMQ_" + words.toUpperCase();
}

interface ParsedFlags {
  configFile?: string;
  values: Record<string, string>;
  printConfig: boolean;
  help: boolean;
}

function parseFlags(schema: Schema, argv: string[], aliases: Record<string, string>): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    config: { type: "string", short: "c" },
    printConfigItem: { type: "boolean", short: "p" },
    help: { type: "boolean", short: "h" },
  };
  for (const key of Object.keys(schema)) options[key] = { type: "string" };
  if ("namesrvAddr" in schema) options.namesrvAddr = { type: "string", short: "n" };
  for (const alias of Object.keys(aliases)) options[alias] = { type: "string" };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError("(command line)", "flags", (err as Error).message);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (name === "config" || name === "printConfigItem" || name === "help") continue;
    values[aliases[name] ?? name] = value as string;
  }
  return {
    configFile: parsed.values.config as string | undefined,
    values,
    printConfig: parsed.values.printConfigItem === true,
    help: parsed.values.help === true,
  };
}

interface RawEntry {
  key: string;
  value: unknown;
  where: string;
}

function readConfigFile(path: string): RawEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError("(config file)", path, `cannot read: ${(err as Error).message}`);
  }
  if (extname(path).toLowerCase() === ".json") {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      throw new ConfigError("(config file)", path, `not valid JSON: ${(err as Error).message}`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj))
      throw new ConfigError("(config file)", path, "expected a JSON object of key/value pairs");
    return Object.entries(obj).map(([key, value]) => ({ key, value, where: path }));
  }
  return parseProperties(text).map(({ key, value, line }) => ({ key, value, where: `${path}:${line}` }));
}

/** Usage text for `-h`, generated from the schema so it never drifts. */
export function usage(role: string, schema: Schema): string {
  const lines = [
    `usage: bun run ${role} [-c config-file] [-n namesrvAddr] [-p] [--<key> <value>]...`,
    "",
    "keys (also settable in the config file and as BUNMQ_<UPPER_SNAKE_KEY>):",
  ];
  for (const [key, spec] of Object.entries(schema)) {
    const kind = spec.type === "enum" ? spec.values.join("|") : spec.type;
    lines.push(
      `  --${key} <${kind}>  default ${JSON.stringify(spec.default)}${spec.doc ? `  ${spec.doc}` : ""}`,
    );
  }
  return lines.join("\n");
}
