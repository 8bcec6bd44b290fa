import type { RecoveredSegment } from "./recover-timer-log.ts";
import { compareSlotEntries, type SlotEntry, TimerEntryState } from "./timer-entry.ts";
import {
  decodeTimerRecord,
  TIMER_RECORD_SIZE,
  TimerRecordKind,
  timerRecordId,
  timerRecordPos,
} from "./timer-record.ts";

export interface LastProgress {
  slotMs: number;
  doneInSlot: number;
  pos: number;
}

export interface ReplayedTimers {
  /** Entries not delivered and not cancelled, in no particular order. */
  pending: SlotEntry[];
  /** The last progress record, undefined when nothing was ever delivered. */
  progress: LastProgress | undefined;
}

function forEachRecord(
  segments: readonly RecoveredSegment[],
  visit: (bytes: Uint8Array, view: DataView, off: number) => void,
): void {
  for (const s of segments) {
    const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
    for (let off = 0; off < s.length; off += TIMER_RECORD_SIZE) visit(s.bytes, view, off);
  }
}

/**
 * Rebuilds the pending set from a recovered log. Pass 1 collects the few things that refer back (cancels,
 * compaction copies) and the last progress; pass 2 keeps each timer's latest record unless it was cancelled
 * or is covered by the progress (slots before progress.slotMs, and the first doneInSlot entries of that slot
 * in (deliverAtMs, id) order, which is the order they were delivered in).
 */
export function replayTimerLog(segments: readonly RecoveredSegment[]): ReplayedTimers {
  const cancelled = new Set<number>();
  const latestCopy = new Map<number, number>();
  let progress: LastProgress | undefined;
  forEachRecord(segments, (bytes, view, off) => {
    const kind = view.getUint8(off + 4);
    if (kind === TimerRecordKind.SCHEDULE) {
      const id = timerRecordId(view, off);
      const pos = timerRecordPos(view, off);
      if (id !== pos) latestCopy.set(id, pos);
    } else if (kind === TimerRecordKind.CANCEL) {
      cancelled.add(timerRecordId(view, off));
    } else {
      const r = decodeTimerRecord(bytes, view, off);
      if (r.kind === TimerRecordKind.PROGRESS)
        progress = { slotMs: r.slotMs, doneInSlot: r.doneInSlot, pos: r.pos };
    }
  });
  const pending: SlotEntry[] = [];
  const inProgressSlot: SlotEntry[] = [];
  const fromSlot = progress ? progress.slotMs : -1;
  forEachRecord(segments, (bytes, view, off) => {
    if (view.getUint8(off + 4) !== TimerRecordKind.SCHEDULE) return;
    const r = decodeTimerRecord(bytes, view, off);
    if (r.kind !== TimerRecordKind.SCHEDULE || r.slotMs < fromSlot || cancelled.has(r.id)) return;
    const copyPos = latestCopy.get(r.id);
    if (copyPos !== undefined && copyPos !== r.pos) return;
    const entry: SlotEntry = {
      id: r.id,
      deliverAtMs: r.deliverAtMs,
      commitLogOffset: r.commitLogOffset,
      size: r.size,
      queueId: r.queueId,
      key: r.key,
      pos: r.pos,
      slotMs: r.slotMs,
      state: TimerEntryState.PENDING,
    };
    if (r.slotMs === fromSlot) inProgressSlot.push(entry);
    else pending.push(entry);
  });
  if (progress && inProgressSlot.length > 0) {
    inProgressSlot.sort(compareSlotEntries);
    for (let i = progress.doneInSlot; i < inProgressSlot.length; i++) pending.push(inProgressSlot[i]!);
  }
  return { pending, progress };
}
