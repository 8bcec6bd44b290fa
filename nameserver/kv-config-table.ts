import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";

/*
 * The nameserver's KV config table (KVConfigManager): namespace -> key -> value, e.g. ORDER_TOPIC_CONFIG. With a
 * path it is kept in RocketMQ's kvConfig.json shape, {"configTable":{ns:{k:v}}}, rewritten through a temp file,
 * fsynced and renamed after every change so a crash leaves the old or the new file, never half of one.
 */

export interface KvConfigTableOptions {
  /** file to load at creation and rewrite on change; undefined keeps the table in memory */
  path?: string;
}

export type KvConfigTable = ReturnType<typeof createKvConfigTable>;

function load(path: string): Map<string, Map<string, string>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw err;
  }
  const table = new Map<string, Map<string, string>>();
  try {
    const parsed = JSON.parse(text) as { configTable?: Record<string, Record<string, unknown>> };
    for (const [namespace, entries] of Object.entries(parsed.configTable ?? {})) {
      const map = new Map<string, string>();
      for (const [key, value] of Object.entries(entries)) {
        if (typeof value !== "string") throw new Error(`${namespace}.${key} is not a string`);
        map.set(key, value);
      }
      table.set(namespace, map);
    }
  } catch (err) {
    // refuse to start rather than overwrite a file we cannot read
    throw new MqError(
      ResponseCode.SYSTEM_ERROR,
      `KV config file ${path} is corrupt: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return table;
}

export function createKvConfigTable(options: KvConfigTableOptions = {}) {
  const { path } = options;
  const configTable = path ? load(path) : new Map<string, Map<string, string>>();

  const persist = () => {
    if (!path) return;
    const json: Record<string, Record<string, string>> = {};
    for (const [namespace, entries] of configTable) json[namespace] = Object.fromEntries(entries);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify({ configTable: json }, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  };

  return {
    put(namespace: string, key: string, value: string): void {
      let entries = configTable.get(namespace);
      if (!entries) {
        entries = new Map();
        configTable.set(namespace, entries);
      }
      entries.set(key, value);
      persist();
    },

    get(namespace: string, key: string): string | undefined {
      return configTable.get(namespace)?.get(key);
    },

    delete(namespace: string, key: string): void {
      const entries = configTable.get(namespace);
      if (!entries?.delete(key)) return;
      if (entries.size === 0) configTable.delete(namespace);
      persist();
    },

    /** All entries of a namespace, or undefined when it has none. */
    list(namespace: string): Record<string, string> | undefined {
      const entries = configTable.get(namespace);
      return entries && entries.size > 0 ? Object.fromEntries(entries) : undefined;
    },
  };
}
