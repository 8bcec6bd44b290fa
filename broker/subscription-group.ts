import { join } from "node:path";
import { createVersionedTableFile, type DataVersion } from "./versioned-table.ts";

/** A consumer group's settings, field names as in subscriptionGroup.json (SubscriptionGroupConfig.java). */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  /** Deliveries after the first before a message goes to %DLQ%group. */
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  attributes: Record<string, string>;
}

export function newSubscriptionGroupConfig(
  groupName: string,
  fields: Partial<Omit<SubscriptionGroupConfig, "groupName">> = {},
): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: fields.consumeEnable ?? true,
    consumeFromMinEnable: fields.consumeFromMinEnable ?? true,
    consumeBroadcastEnable: fields.consumeBroadcastEnable ?? true,
    consumeMessageOrderly: fields.consumeMessageOrderly ?? false,
    retryQueueNums: fields.retryQueueNums ?? 1,
    retryMaxTimes: fields.retryMaxTimes ?? 16,
    brokerId: fields.brokerId ?? 0,
    whichBrokerWhenConsumeSlowly: fields.whichBrokerWhenConsumeSlowly ?? 1,
    notifyConsumerIdsChangedEnable: fields.notifyConsumerIdsChangedEnable ?? true,
    groupSysFlag: fields.groupSysFlag ?? 0,
    consumeTimeoutMinute: fields.consumeTimeoutMinute ?? 15,
    attributes: { ...(fields.attributes ?? {}) },
  };
}

export interface SubscriptionGroupTableOptions {
  configDir: string;
  /** retryMaxTimes of auto-created groups (broker.conf maxReconsumeTimes). */
  defaultRetryMaxTimes?: number;
  clock?: () => number;
}

export interface SubscriptionGroupTable {
  get(group: string): SubscriptionGroupConfig | undefined;
  /** The group's config, creating it with defaults when `autoCreate` is set; undefined otherwise. */
  findOrCreate(group: string, autoCreate: boolean): SubscriptionGroupConfig | undefined;
  put(config: SubscriptionGroupConfig): void;
  remove(group: string): boolean;
  all(): SubscriptionGroupConfig[];
  dataVersion(): DataVersion;
  readonly path: string;
}

/** subscriptionGroup.json, loaded at creation and written atomically on every change. */
export function createSubscriptionGroupTable(options: SubscriptionGroupTableOptions): SubscriptionGroupTable {
  const clock = options.clock ?? Date.now;
  const path = join(options.configDir, "subscriptionGroup.json");
  const table = new Map<string, SubscriptionGroupConfig>();
  const file = createVersionedTableFile<SubscriptionGroupConfig>(path, "subscriptionGroupTable", clock);
  for (const [name, raw] of file.load()) table.set(name, newSubscriptionGroupConfig(name, raw));
  const persist = () => file.persist(table);

  return {
    path,
    get: (group) => table.get(group),
    findOrCreate(group, autoCreate) {
      const found = table.get(group);
      if (found || !autoCreate) return found;
      const created = newSubscriptionGroupConfig(group, {
        retryMaxTimes: options.defaultRetryMaxTimes ?? 16,
      });
      table.set(group, created);
      persist();
      return created;
    },
    put(config) {
      table.set(config.groupName, { ...config, attributes: { ...config.attributes } });
      persist();
    },
    remove(group) {
      if (!table.delete(group)) return false;
      persist();
      return true;
    },
    all: () => [...table.values()],
    dataVersion: () => ({ ...file.version }),
  };
}
