import { join } from "node:path";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { createVersionedTableFile, type DataVersion } from "./versioned-table.ts";

export type { DataVersion };

/** PermName bits. */
export const PERM_PRIORITY = 8;
export const PERM_READ = 4;
export const PERM_WRITE = 2;
export const PERM_INHERIT = 1;

export const isReadable = (perm: number) => (perm & PERM_READ) === PERM_READ;
export const isWriteable = (perm: number) => (perm & PERM_WRITE) === PERM_WRITE;

/** RocketMQ 5 topic attribute holding the accepted message type. */
export const MESSAGE_TYPE_ATTRIBUTE = "message.type";
export const MESSAGE_TYPES = ["NORMAL", "FIFO", "DELAY", "TRANSACTION", "MIXED"] as const;
export type TopicMessageType = (typeof MESSAGE_TYPES)[number];

/** Attributes RocketMQ 5 knows, with their allowed values. */
const SUPPORTED_ATTRIBUTES: Record<string, readonly string[]> = {
  [MESSAGE_TYPE_ATTRIBUTE]: MESSAGE_TYPES,
  "queue.type": ["SimpleCQ", "BatchCQ", "RocksDBCQ"],
  "cleanup.policy": ["DELETE", "COMPACTION"],
};

/** A topic's configuration on this broker, field names as in topics.json (TopicConfig.java). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: "SINGLE_TAG" | "MULTI_TAG";
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

export function newTopicConfig(
  topicName: string,
  fields: Partial<Omit<TopicConfig, "topicName">> = {},
): TopicConfig {
  return {
    topicName,
    readQueueNums: fields.readQueueNums ?? 16,
    writeQueueNums: fields.writeQueueNums ?? 16,
    perm: fields.perm ?? PERM_READ | PERM_WRITE,
    topicFilterType: fields.topicFilterType ?? "SINGLE_TAG",
    topicSysFlag: fields.topicSysFlag ?? 0,
    order: fields.order ?? false,
    attributes: { ...(fields.attributes ?? {}) },
  };
}

/** The message type a topic accepts: its `message.type` attribute, NORMAL when unset (as RocketMQ 5). */
export function topicMessageType(config: TopicConfig): TopicMessageType {
  const t = config.attributes[MESSAGE_TYPE_ATTRIBUTE];
  return (MESSAGE_TYPES as readonly string[]).includes(t ?? "") ? (t as TopicMessageType) : "NORMAL";
}

/**
 * Applies an AttributeParser string (`+message.type=FIFO,+queue.type=SimpleCQ,-cleanup.policy`) to the current
 * attributes. `+k=v` sets, `-k` removes (update only). Unknown keys or values are INVALID_PARAMETER.
 */
export function alterAttributes(
  current: Record<string, string>,
  spec: string | undefined,
  create: boolean,
): Record<string, string> {
  const next = { ...current };
  if (spec === undefined || spec.trim() === "") return next;
  for (const raw of spec.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    if (item.startsWith("+")) {
      const eq = item.indexOf("=");
      if (eq < 0) throw new MqError(ResponseCode.INVALID_PARAMETER, `attribute "${item}" has no value`);
      const key = item.slice(1, eq);
      const value = item.slice(eq + 1);
      const allowed = SUPPORTED_ATTRIBUTES[key];
      if (!allowed) throw new MqError(ResponseCode.INVALID_PARAMETER, `unsupported attribute key: ${key}`);
      if (!allowed.includes(value))
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          `value "${value}" of attribute ${key} is not one of ${allowed.join(", ")}`,
        );
      next[key] = value;
    } else if (item.startsWith("-")) {
      if (create)
        throw new MqError(ResponseCode.INVALID_PARAMETER, `cannot remove attribute ${item} on create`);
      const key = item.slice(1);
      if (!SUPPORTED_ATTRIBUTES[key])
        throw new MqError(ResponseCode.INVALID_PARAMETER, `unsupported attribute key: ${key}`);
      delete next[key];
    } else {
      throw new MqError(ResponseCode.INVALID_PARAMETER, `attribute "${item}" must start with + or -`);
    }
  }
  return next;
}

export interface TopicConfigTableOptions {
  /** `<storePathRootDir>/config`. */
  configDir: string;
  clock?: () => number;
}

export interface TopicConfigTable {
  get(topic: string): TopicConfig | undefined;
  all(): TopicConfig[];
  /** Creates or replaces a topic and persists the table. Returns true if it changed. */
  put(config: TopicConfig): boolean;
  /** Creates `config` unless the topic exists; returns the stored config either way. */
  createIfAbsent(config: TopicConfig): { config: TopicConfig; created: boolean };
  remove(topic: string): boolean;
  dataVersion(): DataVersion;
  /** Path of topics.json. */
  readonly path: string;
}

/** topics.json, loaded at creation and written atomically on every change. */
export function createTopicConfigTable(options: TopicConfigTableOptions): TopicConfigTable {
  const clock = options.clock ?? Date.now;
  const path = join(options.configDir, "topics.json");
  const table = new Map<string, TopicConfig>();
  const file = createVersionedTableFile<TopicConfig>(path, "topicConfigTable", clock);
  for (const [name, raw] of file.load()) table.set(name, normalize(name, raw));
  const persist = () => file.persist(table);

  return {
    path,
    get: (topic) => table.get(topic),
    all: () => [...table.values()],
    put(config) {
      const prev = table.get(config.topicName);
      if (prev && JSON.stringify(prev) === JSON.stringify(config)) return false;
      table.set(config.topicName, { ...config, attributes: { ...config.attributes } });
      persist();
      return true;
    },
    createIfAbsent(config) {
      const prev = table.get(config.topicName);
      if (prev) return { config: prev, created: false };
      table.set(config.topicName, { ...config, attributes: { ...config.attributes } });
      persist();
      return { config: table.get(config.topicName)!, created: true };
    },
    remove(topic) {
      if (!table.delete(topic)) return false;
      persist();
      return true;
    },
    dataVersion: () => ({ ...file.version }),
  };
}

function normalize(name: string, raw: Partial<TopicConfig>): TopicConfig {
  return newTopicConfig(name, {
    readQueueNums: Number(raw.readQueueNums ?? 16),
    writeQueueNums: Number(raw.writeQueueNums ?? 16),
    perm: Number(raw.perm ?? PERM_READ | PERM_WRITE),
    topicFilterType: raw.topicFilterType === "MULTI_TAG" ? "MULTI_TAG" : "SINGLE_TAG",
    topicSysFlag: Number(raw.topicSysFlag ?? 0),
    order: raw.order === true,
    attributes: raw.attributes && typeof raw.attributes === "object" ? { ...raw.attributes } : {},
  });
}
