import { MqError } from "../../proto/error.ts";
import {
  bodyCrc32,
  decodeMessageRecord,
  getInt64,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  type MessageExt,
  MIN_RECORD_SIZE,
  RecordField,
  readStoreTimestamp,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { CommitLog } from "./commit-log.ts";
import type { ConsumeQueue } from "./consume-queue.ts";
import type { GetMessageResult, GetMessageStatus, GetMessagesRequest } from "./types.ts";

/** The readable part of the CommitLog: [minPhysicalOffset, maxPhysicalOffset). */
export interface ReadBounds {
  commitLog: CommitLog;
  minPhysicalOffset: number;
  maxPhysicalOffset: number;
}

export const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * Reads records through a window: one pread fetches the wanted record and the records the caller expects next
 * (`span()` bytes), so a pull of nearby records costs one syscall. Records returned are views into the window.
 */
class RecordWindow {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;

  constructor(private readonly bounds: ReadBounds) {}

  /** The record at `offset` of `size` bytes; throws MqError when the bytes there are not that record. */
  read(offset: number, size: number, span: () => number): MessageExt {
    if (offset < this.start || offset + size > this.start + this.buf.length) {
      const { commitLog, maxPhysicalOffset } = this.bounds;
      const len = Math.max(
        size,
        Math.min(span(), commitLog.remainingInSegment(offset), maxPhysicalOffset - offset),
      );
      const bytes = commitLog.read(offset, len);
      if (!bytes || bytes.length < size) throw damaged(offset, "the segment file is shorter than the record");
      this.buf = bytes;
      this.start = offset;
    }
    const at = offset - this.start;
    try {
      return decodeMessageRecord(this.buf.subarray(0, at + size), at, { expectedOffset: offset });
    } catch (err) {
      throw damaged(offset, (err as Error).message);
    }
  }
}

/** Largest window read at once, and the largest gap between records it may span. */
const MAX_WINDOW = 1024 * 1024;
const MAX_WINDOW_GAP = 4096;

/**
 * Bytes to read at unit `q`: up to the last of the next units (at most `count`) that follow each other with small
 * gaps in the CommitLog.
 */
function windowSpan(cq: ConsumeQueue, q: number, limit: number, count: number, maxBytes: number): number {
  const first = cq.unit(q)!;
  let end = first.commitLogOffset + first.size;
  const cap = Math.min(MAX_WINDOW, Math.max(maxBytes, first.size));
  for (let i = q + 1, n = 1; i < limit && n < count; i++, n++) {
    const u = cq.unit(i);
    if (!u || u.commitLogOffset < end || u.commitLogOffset - end > MAX_WINDOW_GAP) break;
    if (u.commitLogOffset + u.size - first.commitLogOffset > cap) break;
    end = u.commitLogOffset + u.size;
  }
  return end - first.commitLogOffset;
}

function damaged(offset: number, why: string): MqError {
  return new MqError(ResponseCode.SYSTEM_ERROR, `CommitLog record at offset ${offset} is damaged: ${why}`);
}

/** RocketMQ's DefaultMessageStore.getMessage over one ConsumeQueue. */
export function getMessages(
  bounds: ReadBounds,
  cq: ConsumeQueue | undefined,
  req: GetMessagesRequest,
  maxScanUnits: number,
): GetMessageResult {
  if (!Number.isInteger(req.maxCount) || req.maxCount < 1) {
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `maxCount must be a positive integer, got ${req.maxCount}`,
    );
  }
  if (!Number.isInteger(req.queueOffset) || req.queueOffset < 0) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, `queueOffset must be >= 0, got ${req.queueOffset}`);
  }
  const offset = req.queueOffset;
  if (!cq) return result("NO_MATCHED_LOGIC_QUEUE", [], 0, 0, 0);
  const min = cq.minOffset;
  const max = cq.maxOffset;
  if (max === 0) return result("NO_MESSAGE_IN_QUEUE", [], 0, min, max);
  if (offset < min) return result("OFFSET_TOO_SMALL", [], min, min, max);
  if (offset === max) return result("OFFSET_OVERFLOW_ONE", [], offset, min, max);
  if (offset > max) return result("OFFSET_OVERFLOW_BADLY", [], min === 0 ? min : max, min, max);

  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  const window = new RecordWindow(bounds);
  const messages: MessageExt[] = [];
  let status: GetMessageStatus = "NO_MATCHED_MESSAGE";
  let bytes = 0;
  let q = offset;
  const limit = Math.min(max, offset + Math.max(maxScanUnits, req.maxCount));
  for (; q < limit; q++) {
    const u = cq.unit(q);
    if (!u) {
      if (messages.length === 0 && q === offset) status = "OFFSET_FOUND_NULL";
      continue;
    }
    if (messages.length > 0 && (messages.length >= req.maxCount || bytes + u.size > maxBytes)) break;
    if (u.commitLogOffset < bounds.minPhysicalOffset) {
      if (messages.length === 0) status = "MESSAGE_WAS_REMOVING";
      continue;
    }
    if (u.commitLogOffset + u.size > bounds.maxPhysicalOffset) break;
    if (req.tagsCodeFilter && !req.tagsCodeFilter(u.tagsCode)) {
      if (messages.length === 0) status = "NO_MATCHED_MESSAGE";
      continue;
    }
    const m = window.read(u.commitLogOffset, u.size, () =>
      windowSpan(cq, q, limit, req.maxCount - messages.length, maxBytes - bytes),
    );
    if (m.storeSize !== u.size) throw damaged(u.commitLogOffset, `ConsumeQueue says ${u.size} bytes`);
    if (req.messageFilter && !req.messageFilter(m)) {
      if (messages.length === 0) status = "NO_MATCHED_MESSAGE";
      continue;
    }
    messages.push(m);
    bytes += u.size;
    status = "FOUND";
  }
  return result(status, messages, q, min, max);
}

function result(
  status: GetMessageStatus,
  messages: MessageExt[],
  nextBeginOffset: number,
  minOffset: number,
  maxOffset: number,
): GetMessageResult {
  return { status, messages, nextBeginOffset, minOffset, maxOffset };
}

/**
 * The record at `commitLogOffset`, or null when nothing readable starts there (outside the bounds, or not a
 * record start). Throws MqError when a record is there but damaged.
 */
export function lookMessage(bounds: ReadBounds, commitLogOffset: number, size?: number): MessageExt | null {
  const { commitLog, minPhysicalOffset, maxPhysicalOffset } = bounds;
  if (!Number.isInteger(commitLogOffset) || commitLogOffset < minPhysicalOffset) return null;
  if (commitLogOffset + MIN_RECORD_SIZE > maxPhysicalOffset) return null;
  let len = size;
  if (len === undefined) {
    const head = commitLog.read(commitLogOffset, 4);
    if (!head || head.length < 4) return null;
    len = new DataView(head.buffer, head.byteOffset).getInt32(0);
  }
  if (len < MIN_RECORD_SIZE || commitLogOffset + len > maxPhysicalOffset) return null;
  if (len > commitLog.remainingInSegment(commitLogOffset)) return null;
  const bytes = commitLog.read(commitLogOffset, len);
  if (!bytes || bytes.length < len) return null;
  let m: MessageExt;
  try {
    m = decodeMessageRecord(bytes, 0, { checkCRC: false, expectedOffset: commitLogOffset });
  } catch {
    return null; // not a record start
  }
  if (bodyCrc32(m.body) !== m.bodyCRC) throw damaged(commitLogOffset, "body CRC mismatch");
  return m;
}

/** Store timestamp of the record at `commitLogOffset` (a ConsumeQueue unit's target), or -1. */
export function storeTimestampAt(bounds: ReadBounds, commitLogOffset: number): number {
  if (
    commitLogOffset < bounds.minPhysicalOffset ||
    commitLogOffset + MIN_RECORD_SIZE > bounds.maxPhysicalOffset
  ) {
    return -1;
  }
  const head = bounds.commitLog.read(commitLogOffset, 96);
  if (!head || head.length < 96) return -1;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getInt32(RecordField.MAGICCODE);
  if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) return -1;
  if (getInt64(view, RecordField.PHYSICALOFFSET) !== commitLogOffset) return -1;
  return readStoreTimestamp(view, 0);
}
