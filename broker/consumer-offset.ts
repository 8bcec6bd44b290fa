import { join } from "node:path";
import { createDirtyJsonFile, readJsonFile } from "./json-file.ts";

export interface ConsumerOffsetTableOptions {
  configDir: string;
}

export interface ConsumerOffsetTable {
  commit(group: string, topic: string, queueId: number, offset: number): void;
  /** The committed offset, or -1 if the group never committed one for that queue. */
  query(group: string, topic: string, queueId: number): number;
  /** queueId → offset for one group and topic. */
  queryAll(group: string, topic: string): Map<number, number>;
  /** Groups with an offset on `topic`. */
  groupsOf(topic: string): string[];
  /** Topics on which `group` has an offset. */
  topicsOf(group: string): string[];
  removeTopic(topic: string): void;
  removeGroup(group: string): void;
  /** The whole table as consumerOffset.json's offsetTable. */
  snapshot(): Record<string, Record<string, number>>;
  /** Writes consumerOffset.json if anything changed since the last write. */
  persist(): void;
  /**
   * persist with the file writes and fsyncs off the event loop (the broker's timer). Commits made meanwhile go in
   * the next write; a failed write leaves the table dirty. Not to be run alongside another persist.
   */
  persistAsync(): Promise<void>;
  readonly path: string;
}

/**
 * consumerOffset.json: `{"offsetTable": {"topic@group": {"0": 12, ...}}}` as RocketMQ writes it. Commits land in
 * memory; the broker persists on a timer (flushConsumerOffsetInterval) and on close.
 */
export function createConsumerOffsetTable(options: ConsumerOffsetTableOptions): ConsumerOffsetTable {
  const path = join(options.configDir, "consumerOffset.json");
  const table = new Map<string, Map<number, number>>();

  const loaded = readJsonFile(path) as { offsetTable?: Record<string, Record<string, number>> } | undefined;
  for (const [key, queues] of Object.entries(loaded?.offsetTable ?? {})) {
    const m = new Map<number, number>();
    for (const [q, off] of Object.entries(queues)) m.set(Number(q), Number(off));
    table.set(key, m);
  }

  const keyOf = (group: string, topic: string) => `${topic}@${group}`;
  // Topic names cannot contain '@' (legal chars are [%|a-zA-Z0-9_-]), so the first '@' splits the key.
  const split = (key: string) => {
    const at = key.indexOf("@");
    return { topic: key.slice(0, at), group: key.slice(at + 1) };
  };

  const snapshot = () => {
    const offsetTable: Record<string, Record<string, number>> = {};
    for (const [key, m] of table) offsetTable[key] = Object.fromEntries(m);
    return offsetTable;
  };
  const file = createDirtyJsonFile(path, () => ({ offsetTable: snapshot() }));

  return {
    path,
    commit(group, topic, queueId, offset) {
      const key = keyOf(group, topic);
      let m = table.get(key);
      if (!m) {
        m = new Map();
        table.set(key, m);
      }
      if (m.get(queueId) !== offset) {
        m.set(queueId, offset);
        file.markDirty();
      }
    },
    query(group, topic, queueId) {
      return table.get(keyOf(group, topic))?.get(queueId) ?? -1;
    },
    queryAll(group, topic) {
      return new Map(table.get(keyOf(group, topic)) ?? []);
    },
    groupsOf(topic) {
      const out: string[] = [];
      for (const key of table.keys()) {
        const k = split(key);
        if (k.topic === topic) out.push(k.group);
      }
      return out;
    },
    topicsOf(group) {
      const out: string[] = [];
      for (const key of table.keys()) {
        const k = split(key);
        if (k.group === group) out.push(k.topic);
      }
      return out;
    },
    removeTopic(topic) {
      for (const key of [...table.keys()])
        if (split(key).topic === topic) {
          table.delete(key);
          file.markDirty();
        }
    },
    removeGroup(group) {
      for (const key of [...table.keys()])
        if (split(key).group === group) {
          table.delete(key);
          file.markDirty();
        }
    },
    snapshot,
    persist: () => file.persist(),
    persistAsync: () => file.persistAsync(),
  };
}
