import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import { isTimeToDelete } from "./retention.ts";
import { bodyOf, removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import type { PutResult } from "./types.ts";

const HOUR = 3_600_000;
const stores: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

/** A store whose clock the test moves; retention never triggers on its own unless asked. */
async function setup(extra: Partial<MessageStoreOptions> = {}) {
  const dir = tempDir("retention");
  dirs.push(dir);
  const clock = { now: Date.now() };
  const options = smallOptions(dir, {
    commitLogSegmentSize: 4096,
    maxIndexNum: 16,
    clock: () => clock.now,
    fileReservedTimeHours: 1,
    deleteWhen: String((new Date(clock.now).getHours() + 12) % 24).padStart(2, "0"),
    diskMaxUsedSpaceRatio: 100,
    diskSpaceCleanForciblyRatio: 100,
    ...extra,
  });
  const store = await createMessageStore(options);
  stores.push(store);
  const puts: PutResult[] = [];
  for (let i = 0; i < 40; i++) {
    puts.push(
      await store.putMessage({
        topic: "TopicT",
        queueId: 0,
        body: bodyOf(i, 400),
        properties: { KEYS: `k${i}` },
      }),
    );
  }
  await store.flush();
  return { dir, clock, store, puts, options };
}

function segments(dir: string): string[] {
  return fs.readdirSync(path.join(dir, "commitlog")).sort();
}

describe("retention", () => {
  test("deleteWhen lists hours of the day", () => {
    const at = (h: number) => new Date(2026, 0, 1, h, 30).getTime();
    expect(isTimeToDelete("04", at(4))).toBe(true);
    expect(isTimeToDelete("04", at(5))).toBe(false);
    expect(isTimeToDelete("04;05", at(5))).toBe(true);
    expect(isTimeToDelete("", at(0))).toBe(false);
  });

  test("nothing is deleted before files expire, or outside deleteWhen without force", async () => {
    const { dir, clock, store } = await setup();
    const before = segments(dir);
    expect(before.length).toBeGreaterThan(4);
    expect(store.cleanExpiredFiles({ force: true }).deletedCommitLogFiles).toBe(0); // not expired yet
    clock.now += 2 * HOUR;
    expect(store.cleanExpiredFiles().deletedCommitLogFiles).toBe(0); // expired, but not the hour
    expect(segments(dir)).toEqual(before);
  });

  test("expired files go (never the one being written); queues, index and readers follow the new minimum", async () => {
    const { dir, clock, store, puts } = await setup({ deleteFileBatchMax: 100 });
    clock.now += 2 * HOUR;
    const result = store.cleanExpiredFiles({ force: true });
    const files = segments(dir);
    expect(files.length).toBe(1);
    expect(result.deletedCommitLogFiles).toBeGreaterThan(3);
    expect(result.minPhysicalOffset).toBe(Number(files[0]));
    expect(store.minPhysicalOffset).toBe(result.minPhysicalOffset);
    const firstKept = puts.findIndex((p) => p.commitLogOffset >= result.minPhysicalOffset);
    expect(store.getMinOffsetInQueue("TopicT", 0)).toBe(firstKept);
    const tooSmall = store.getMessages({ topic: "TopicT", queueId: 0, queueOffset: 0, maxCount: 4 });
    expect([tooSmall.status, tooSmall.nextBeginOffset]).toEqual(["OFFSET_TOO_SMALL", firstKept]);
    const kept = store.getMessages({ topic: "TopicT", queueId: 0, queueOffset: firstKept, maxCount: 100 });
    expect(kept.messages.map((m) => m.queueOffset)).toEqual(puts.slice(firstKept).map((p) => p.queueOffset));
    expect(store.lookMessageByOffset(puts[0]!.commitLogOffset)).toBeNull();
    expect(store.queryMessageByKey("TopicT", "k0", 32, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(store.queryMessageByKey("TopicT", "k39", 32, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
    expect(fs.readdirSync(path.join(dir, "index")).length).toBeLessThan(5); // 40 keys x2 in 15-entry files
    expect(fs.readdirSync(path.join(dir, "consumequeue", "TopicT", "0")).length).toBeLessThan(3);

    await store.close();
    stores.splice(0);
    const again = await createMessageStore(
      smallOptions(dir, { commitLogSegmentSize: 4096, maxIndexNum: 16 }),
    );
    stores.push(again);
    expect(again.minPhysicalOffset).toBe(result.minPhysicalOffset);
    expect(again.getMinOffsetInQueue("TopicT", 0)).toBe(firstKept);
    expect((await again.putMessage({ topic: "TopicT", queueId: 0, body: bodyOf(40) })).queueOffset).toBe(40);
  });

  test("deleteFileBatchMax bounds one round", async () => {
    const { clock, store } = await setup({ deleteFileBatchMax: 2 });
    clock.now += 2 * HOUR;
    expect(store.cleanExpiredFiles({ force: true }).deletedCommitLogFiles).toBe(2);
  });

  test("the deleteWhen hour, or disk usage above diskMaxUsedSpaceRatio, triggers deletion of expired files", async () => {
    const later = Date.now() + 2 * HOUR;
    const byHour = await setup({ deleteWhen: `01;${String(new Date(later).getHours()).padStart(2, "0")}` });
    byHour.clock.now = later;
    expect(byHour.store.cleanExpiredFiles().deletedCommitLogFiles).toBeGreaterThan(0);

    const byDisk = await setup({ diskMaxUsedSpaceRatio: 0 });
    byDisk.clock.now += 2 * HOUR;
    expect(byDisk.store.cleanExpiredFiles().deletedCommitLogFiles).toBeGreaterThan(0);
  });

  test("above diskSpaceCleanForciblyRatio even unexpired files go", async () => {
    const { store } = await setup({ diskSpaceCleanForciblyRatio: 0 });
    expect(store.cleanExpiredFiles().deletedCommitLogFiles).toBeGreaterThan(0);
  });

  test("the background timer deletes expired files in the deleteWhen hour", async () => {
    const now = Date.now() + 2 * HOUR;
    const { dir, clock } = await setup({
      cleanResourceIntervalMs: 10,
      deleteWhen: String(new Date(now).getHours()).padStart(2, "0"),
    });
    clock.now = now;
    const deadline = Date.now() + 5000;
    while (segments(dir).length > 1 && Date.now() < deadline) await Bun.sleep(10);
    expect(segments(dir).length).toBe(1);
  });
});
