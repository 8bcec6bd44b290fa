import { expect, test } from "bun:test";
import { createQueueLockTable } from "./queue-lock.ts";

test("a queue lock belongs to one client until it is released or expires after 60 s", () => {
  let now = 1_000;
  const locks = createQueueLockTable({ clock: () => now });
  const q0 = { topic: "T", brokerName: "b", queueId: 0 };
  const q1 = { topic: "T", brokerName: "b", queueId: 1 };
  expect(locks.tryLockBatch("G", "c1", [q0, q1])).toEqual([q0, q1]);
  expect(locks.tryLockBatch("G", "c2", [q0, q1])).toEqual([]);
  expect(locks.tryLockBatch("OTHER", "c2", [q0])).toEqual([q0]);
  locks.unlockBatch("G", "c1", [q1]);
  expect(locks.tryLockBatch("G", "c2", [q0, q1])).toEqual([q1]);
  now += 60_001;
  expect(locks.tryLockBatch("G", "c2", [q0])).toEqual([q0]);
  expect(locks.isLockedBy("G", q0, "c2")).toBe(true);
  expect(locks.isLockedBy("G", q0, "c1")).toBe(false);
});
