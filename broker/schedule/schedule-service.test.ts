import { afterEach, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "../../tests/harness.ts";
import { createMessageStore, type MessageStore } from "../store/index.ts";
import { RMQ_SYS_SCHEDULE_TOPIC } from "../topic-validator.ts";
import { ScheduleService } from "./schedule-service.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function scheduleWithStore(): Promise<{
  schedule: ScheduleService;
  store: MessageStore;
  configDir: string;
  clock: { now: number };
}> {
  const dir = tempDir("bunmq-schedule-");
  cleanups.push(() => removeDir(dir));
  const store = await createMessageStore({
    storePathRootDir: join(dir, "store"),
    cleanResourceIntervalMs: 0,
  });
  cleanups.push(() => store.close());
  const clock = { now: Date.now() };
  const configDir = join(dir, "config");
  const schedule = new ScheduleService({
    store,
    configDir,
    delayLevels: [1000],
    clock: () => clock.now,
    tickIntervalMs: 0,
  });
  cleanups.push(() => schedule.close());
  return { schedule, store, configDir, clock };
}

test("persistAsync writes the delay cursors; a failed write keeps them for the next one", async () => {
  const { schedule, store, configDir, clock } = await scheduleWithStore();
  await store.putMessage({
    topic: RMQ_SYS_SCHEDULE_TOPIC,
    queueId: 0,
    body: new TextEncoder().encode("later"),
    properties: { REAL_TOPIC: "DelayT", REAL_QID: "0", DELAY: "1" },
  });
  clock.now += 2_000;
  expect(await schedule.tick()).toBe(1);
  expect(store.getMaxOffsetInQueue("DelayT", 0)).toBe(1);
  writeFileSync(configDir, "not a directory"); // the write fails: the cursor must stay dirty
  await expect(schedule.persistAsync()).rejects.toThrow();
  rmSync(configDir);
  await schedule.persistAsync();
  const file = join(configDir, "delayOffset.json");
  expect(JSON.parse(readFileSync(file, "utf8")).offsetTable).toEqual({ "1": 1 });
  // Nothing moved since: no write (a changed file would show it).
  writeFileSync(file, '{"offsetTable":{"1":0}}');
  await schedule.persistAsync();
  expect(JSON.parse(readFileSync(file, "utf8")).offsetTable).toEqual({ "1": 0 });
});
