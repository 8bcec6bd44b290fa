import { describe, expect, test } from "bun:test";
import { type SlotEntry, TimerEntryState } from "./timer-entry.ts";
import { createTimerWheel, type TimerWheel } from "./timer-wheel.ts";

let nextId = 0;
function add(wheel: TimerWheel, deliverAtMs: number, slotMs = wheel.slotFor(deliverAtMs)): SlotEntry {
  const id = nextId;
  nextId += 96;
  const e: SlotEntry = {
    id,
    deliverAtMs,
    commitLogOffset: id,
    size: 1,
    queueId: 0,
    key: "",
    pos: id,
    slotMs,
    state: TimerEntryState.PENDING,
  };
  wheel.add(e);
  return e;
}

describe("timer wheel", () => {
  test("a slot fires at its end, so nothing is taken before its deliverAtMs", () => {
    const wheel = createTimerWheel(10);
    add(wheel, 1001);
    add(wheel, 1010);
    add(wheel, 1011);
    expect(wheel.nextSlotMs()).toBe(1010);
    expect(wheel.takeDue(1009, 100)).toBeUndefined();
    const batch = wheel.takeDue(1010, 100)!;
    expect(batch.entries.map((e) => e.deliverAtMs)).toEqual([1001, 1010]);
    expect(batch.entries.every((e) => e.deliverAtMs <= 1010)).toBe(true);
    expect(wheel.takeDue(1019, 100)).toBeUndefined();
    expect(wheel.takeDue(1020, 100)!.entries.map((e) => e.deliverAtMs)).toEqual([1011]);
  });

  test("takes several due slots in deliverAt order, sorted within a slot", () => {
    const wheel = createTimerWheel(100);
    for (const t of [350, 120, 199, 101, 300, 250, 200]) add(wheel, t);
    const batch = wheel.takeDue(1000, 100)!;
    expect(batch.entries.map((e) => e.deliverAtMs)).toEqual([101, 120, 199, 200, 250, 300, 350]);
    expect(batch.lastSlotMs).toBe(400);
    expect(batch.doneInLastSlot).toBe(1);
  });

  test("splits a big slot across batches with an absolute count of what was taken", () => {
    const wheel = createTimerWheel(10);
    for (let i = 0; i < 5; i++) add(wheel, 5);
    add(wheel, 15);
    const a = wheel.takeDue(100, 2)!;
    expect([a.entries.length, a.lastSlotMs, a.doneInLastSlot]).toEqual([2, 10, 2]);
    const b = wheel.takeDue(100, 2)!;
    expect([b.entries.length, b.lastSlotMs, b.doneInLastSlot]).toEqual([2, 10, 4]);
    const c = wheel.takeDue(100, 2)!;
    expect(c.entries.map((e) => e.deliverAtMs)).toEqual([5, 15]);
    expect([c.lastSlotMs, c.doneInLastSlot]).toEqual([20, 1]);
  });

  test("skips cancelled entries without counting them", () => {
    const wheel = createTimerWheel(10);
    const a = add(wheel, 1);
    add(wheel, 2);
    a.state = TimerEntryState.CANCELLED;
    const batch = wheel.takeDue(10, 10)!;
    expect(batch.entries.map((e) => e.deliverAtMs)).toEqual([2]);
    expect(batch.doneInLastSlot).toBe(1);
  });

  test("an entry for a slot already taken goes just after it and is due at once", () => {
    const wheel = createTimerWheel(10);
    add(wheel, 5);
    add(wheel, 6);
    wheel.takeDue(50, 1);
    expect(wheel.takenSlotMs).toBe(10);
    const late = add(wheel, 3);
    expect(late.slotMs).toBe(11);
    expect(wheel.takeDue(50, 10)!.entries.map((e) => e.deliverAtMs)).toEqual([6, 3]);
    expect(add(wheel, 40).slotMs).toBe(40);
  });

  test("restored progress continues counting in the partly delivered slot", () => {
    const wheel = createTimerWheel(10, { slotMs: 10, doneInSlot: 3 });
    expect(wheel.slotFor(7)).toBe(11);
    add(wheel, 8, 10);
    const batch = wheel.takeDue(20, 10)!;
    expect(batch.doneInLastSlot).toBe(4);
  });

  test("reports the oldest untaken deliverAtMs", () => {
    const wheel = createTimerWheel(10);
    expect(wheel.oldestDeliverAtMs()).toBeUndefined();
    add(wheel, 500);
    add(wheel, 42);
    const gone = add(wheel, 41);
    gone.state = TimerEntryState.CANCELLED;
    expect(wheel.oldestDeliverAtMs()).toBe(42);
  });
});
