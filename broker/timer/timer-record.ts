/**
 * The fixed-size record of the timer log (layout in README.md). Every record names its own log position,
 * so stale bytes from an older file or a misplaced segment never pass as a valid record.
 */

export const TIMER_RECORD_SIZE = 96;
export const TIMER_KEY_MAX_BYTES = 40;
export const TIMER_RECORD_VERSION = 1;

export const TimerRecordKind = {
  /** A timer (the first record of an id, or a copy moved forward by compaction: id !== pos). */
  SCHEDULE: 1,
  /** The timer `id` was cancelled before it was taken for delivery. */
  CANCEL: 2,
  /** Delivery progress: every slot before `slotMs` delivered, and the first `doneInSlot` entries of it. */
  PROGRESS: 3,
} as const;

export interface ScheduleRecord {
  kind: typeof TimerRecordKind.SCHEDULE;
  pos: number;
  id: number;
  slotMs: number;
  deliverAtMs: number;
  commitLogOffset: number;
  size: number;
  queueId: number;
  key: string;
}

export interface CancelRecord {
  kind: typeof TimerRecordKind.CANCEL;
  pos: number;
  id: number;
  slotMs: number;
}

export interface ProgressRecord {
  kind: typeof TimerRecordKind.PROGRESS;
  pos: number;
  slotMs: number;
  doneInSlot: number;
}

export type TimerRecord = ScheduleRecord | CancelRecord | ProgressRecord;

const TWO_32 = 2 ** 32;
const KEY_AT = 56;
const utf8 = new TextEncoder();

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % TWO_32, true);
  view.setUint32(at + 4, Math.floor(value / TWO_32), true);
}

function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
}

export function keyByteLength(key: string): number {
  return Buffer.byteLength(key, "utf8");
}

/** Encodes `record` at `off` of `bytes` (which `view` covers from byte 0), CRC last. */
export function encodeTimerRecord(bytes: Uint8Array, view: DataView, off: number, record: TimerRecord): void {
  bytes.fill(0, off, off + TIMER_RECORD_SIZE);
  view.setUint8(off + 4, record.kind);
  view.setUint8(off + 5, TIMER_RECORD_VERSION);
  setU64(view, off + 8, record.pos);
  setU64(view, off + 24, record.slotMs);
  switch (record.kind) {
    case TimerRecordKind.SCHEDULE: {
      setU64(view, off + 16, record.id);
      setU64(view, off + 32, record.deliverAtMs);
      setU64(view, off + 40, record.commitLogOffset);
      view.setInt32(off + 48, record.size, true);
      view.setInt32(off + 52, record.queueId, true);
      if (record.key.length > 0) {
        const { written } = utf8.encodeInto(
          record.key,
          bytes.subarray(off + KEY_AT, off + KEY_AT + TIMER_KEY_MAX_BYTES),
        );
        view.setUint8(off + 6, written);
      }
      break;
    }
    case TimerRecordKind.CANCEL:
      setU64(view, off + 16, record.id);
      break;
    case TimerRecordKind.PROGRESS:
      setU64(view, off + 32, record.doneInSlot);
      break;
  }
  view.setUint32(off, Bun.hash.crc32(bytes.subarray(off + 4, off + TIMER_RECORD_SIZE)), true);
}

/** True when the record at `off` has a good CRC, a known kind and version, and names `expectedPos`. */
export function isValidTimerRecord(
  bytes: Uint8Array,
  view: DataView,
  off: number,
  expectedPos: number,
): boolean {
  const kind = view.getUint8(off + 4);
  if (kind < TimerRecordKind.SCHEDULE || kind > TimerRecordKind.PROGRESS) return false;
  if (view.getUint8(off + 5) !== TIMER_RECORD_VERSION) return false;
  if (view.getUint8(off + 6) > TIMER_KEY_MAX_BYTES) return false;
  if (getU64(view, off + 8) !== expectedPos) return false;
  return view.getUint32(off, true) === Bun.hash.crc32(bytes.subarray(off + 4, off + TIMER_RECORD_SIZE));
}

function decodeKey(bytes: Uint8Array, from: number, len: number): string {
  // Buffer's native UTF-8 slice is several times faster than TextDecoder or fromCharCode for short keys.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString("utf8", from, from + len);
}

/** The id field of a SCHEDULE or CANCEL record, without decoding the rest. */
export function timerRecordId(view: DataView, off: number): number {
  return getU64(view, off + 16);
}

/** The position a record names for itself. */
export function timerRecordPos(view: DataView, off: number): number {
  return getU64(view, off + 8);
}

/** Decodes a record already checked by isValidTimerRecord. */
export function decodeTimerRecord(bytes: Uint8Array, view: DataView, off: number): TimerRecord {
  const kind = view.getUint8(off + 4);
  const pos = getU64(view, off + 8);
  const slotMs = getU64(view, off + 24);
  if (kind === TimerRecordKind.SCHEDULE) {
    const keyLen = view.getUint8(off + 6);
    return {
      kind,
      pos,
      id: getU64(view, off + 16),
      slotMs,
      deliverAtMs: getU64(view, off + 32),
      commitLogOffset: getU64(view, off + 40),
      size: view.getInt32(off + 48, true),
      queueId: view.getInt32(off + 52, true),
      key: keyLen === 0 ? "" : decodeKey(bytes, off + KEY_AT, keyLen),
    };
  }
  if (kind === TimerRecordKind.CANCEL) return { kind, pos, id: getU64(view, off + 16), slotMs };
  return { kind: TimerRecordKind.PROGRESS, pos, slotMs, doneInSlot: getU64(view, off + 32) };
}
