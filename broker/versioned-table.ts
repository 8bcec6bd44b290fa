import { readJsonFile, writeJsonFile } from "./json-file.ts";

/** DataVersion: bumped on every change so the nameserver knows the broker's table changed. */
export interface DataVersion {
  timestamp: number;
  counter: number;
  stateVersion: number;
}

/**
 * The file shape RocketMQ uses for topics.json and subscriptionGroup.json: `{ dataVersion, <tableKey>: {...} }`.
 * `load` reads it (absent file: no entries, a fresh version); `persist` bumps the version and writes atomically.
 */
export function createVersionedTableFile<T>(path: string, tableKey: string, clock: () => number) {
  let version: DataVersion = { timestamp: clock(), counter: 0, stateVersion: 0 };
  return {
    get version(): DataVersion {
      return version;
    },
    load(): [string, Partial<T>][] {
      const loaded = readJsonFile(path) as
        | ({ dataVersion?: Partial<DataVersion> } & Record<string, Record<string, Partial<T>> | undefined>)
        | undefined;
      const table = loaded?.[tableKey] as Record<string, Partial<T>> | undefined;
      if (!table) return [];
      version = {
        timestamp: Number(loaded?.dataVersion?.timestamp ?? version.timestamp),
        counter: Number(loaded?.dataVersion?.counter ?? 0),
        stateVersion: Number(loaded?.dataVersion?.stateVersion ?? 0),
      };
      return Object.entries(table);
    },
    persist(entries: Map<string, T>): void {
      version = { timestamp: clock(), counter: version.counter + 1, stateVersion: version.stateVersion };
      writeJsonFile(path, { dataVersion: version, [tableKey]: Object.fromEntries(entries) });
    },
  };
}
