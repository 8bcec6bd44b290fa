import { describe, expect, test } from "bun:test";
import {
  decodeTimerRecord,
  encodeTimerRecord,
  isValidTimerRecord,
  TIMER_RECORD_SIZE,
  type TimerRecord,
  TimerRecordKind,
} from "./timer-record.ts";

function roundTrip(record: TimerRecord, at = 0): { bytes: Uint8Array; view: DataView; back: TimerRecord } {
  const bytes = new Uint8Array(TIMER_RECORD_SIZE * 2);
  const view = new DataView(bytes.buffer);
  encodeTimerRecord(bytes, view, at, record);
  expect(isValidTimerRecord(bytes, view, at, record.pos)).toBe(true);
  return { bytes, view, back: decodeTimerRecord(bytes, view, at) };
}

describe("timer record", () => {
  test("round-trips a schedule record with 64-bit positions and an ASCII key", () => {
    const record: TimerRecord = {
      kind: TimerRecordKind.SCHEDULE,
      pos: 2 ** 40 + 96,
      id: 2 ** 40,
      slotMs: 1_795_000_000_010,
      deliverAtMs: 1_795_000_000_003,
      commitLogOffset: 2 ** 52 + 7,
      size: 4 * 1024 * 1024,
      queueId: -1,
      key: "7F0000010B5C18B4AAC2631A2D7D0000",
    };
    expect(roundTrip(record, TIMER_RECORD_SIZE).back).toEqual(record);
  });

  test("round-trips a non-ASCII key of exactly 40 bytes", () => {
    const key = "é".repeat(20);
    const record: TimerRecord = {
      kind: TimerRecordKind.SCHEDULE,
      pos: 0,
      id: 0,
      slotMs: 10,
      deliverAtMs: 1,
      commitLogOffset: 0,
      size: 1,
      queueId: 3,
      key,
    };
    expect(roundTrip(record).back).toEqual(record);
  });

  test("round-trips cancel and progress records", () => {
    const cancel: TimerRecord = { kind: TimerRecordKind.CANCEL, pos: 192, id: 96, slotMs: 5000 };
    const progress: TimerRecord = { kind: TimerRecordKind.PROGRESS, pos: 288, slotMs: 5000, doneInSlot: 17 };
    expect(roundTrip(cancel).back).toEqual(cancel);
    expect(roundTrip(progress).back).toEqual(progress);
  });

  test("rejects a flipped bit, a wrong position, an unknown kind and zeroes", () => {
    const cancel: TimerRecord = { kind: TimerRecordKind.CANCEL, pos: 96, id: 0, slotMs: 10 };
    const { bytes, view } = roundTrip(cancel);
    expect(isValidTimerRecord(bytes, view, 0, 192)).toBe(false);
    bytes[30]! ^= 0x04;
    expect(isValidTimerRecord(bytes, view, 0, 96)).toBe(false);
    bytes[30]! ^= 0x04;
    expect(isValidTimerRecord(bytes, view, 0, 96)).toBe(true);
    bytes[4] = 9;
    expect(isValidTimerRecord(bytes, view, 0, 96)).toBe(false);
    expect(isValidTimerRecord(new Uint8Array(96), new DataView(new ArrayBuffer(96)), 0, 0)).toBe(false);
  });
});
