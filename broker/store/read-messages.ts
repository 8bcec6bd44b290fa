import { MqError } from "../../proto/error.ts";
import {
  bodyCrc32,
  getInt64,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  type MessageExt,
  type MessageRecordDecoder,
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
  /** The store's decoder (it caches repeated topic and host strings). */
  decode: MessageRecordDecoder;
}

export const DEFAULT_MAX_BYTES = 256 * 1024;

/** The record at `offset` of `size` bytes, decoded straight from the segment's mapping; MqError if damaged. */
function readRecord(bounds: ReadBounds, offset: number, size: number): MessageExt {
  const segment = bounds.commitLog.segmentAt(offset);
  if (!segment || segment.at + size > segment.bytes.length) {
    throw damaged(offset, "no segment file holds the whole record");
  }
  try {
    return bounds.decode(segment.bytes.subarray(0, segment.at + size), segment.at, {
      expectedOffset: offset,
    });
  } catch (err) {
    throw damaged(offset, (err as Error).message);
  }
}

export function damaged(offset: number, why: string): MqError {
  return new MqError(ResponseCode.SYSTEM_ERROR, `CommitLog record at offset ${offset} is damaged: ${why}`);
}

/** What the queue scan needs of a get request. */
export type ScanRequest = Pick<
  GetMessagesRequest,
  "queueOffset" | "maxCount" | "maxBytes" | "tagsCodeFilter"
>;

export interface ScanResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/**
 * RocketMQ's DefaultMessageStore.getMessage over one ConsumeQueue: walks the units from `queueOffset`, applies the
 * tagsCode pre-filter, and hands each candidate record to `take`, which reads it and says whether it was taken
 * (false: the message filter refused it).
 */
export function scanQueue(
  bounds: ReadBounds,
  cq: ConsumeQueue | undefined,
  req: ScanRequest,
  maxScanUnits: number,
  take: (commitLogOffset: number, size: number) => boolean,
): ScanResult {
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
  if (!cq) return scanned("NO_MATCHED_LOGIC_QUEUE", 0, 0, 0);
  const min = cq.minOffset;
  const max = cq.maxOffset;
  if (max === 0) return scanned("NO_MESSAGE_IN_QUEUE", 0, min, max);
  if (offset < min) return scanned("OFFSET_TOO_SMALL", min, min, max);
  if (offset === max) return scanned("OFFSET_OVERFLOW_ONE", offset, min, max);
  if (offset > max) return scanned("OFFSET_OVERFLOW_BADLY", min === 0 ? min : max, min, max);

  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  let status: GetMessageStatus = "NO_MATCHED_MESSAGE";
  let count = 0;
  let bytes = 0;
  let q = offset;
  const limit = Math.min(max, offset + Math.max(maxScanUnits, req.maxCount));
  for (; q < limit; q++) {
    const u = cq.unit(q);
    if (!u) {
      if (count === 0 && q === offset) status = "OFFSET_FOUND_NULL";
      continue;
    }
    if (count > 0 && (count >= req.maxCount || bytes + u.size > maxBytes)) break;
    if (u.commitLogOffset < bounds.minPhysicalOffset) {
      if (count === 0) status = "MESSAGE_WAS_REMOVING";
      continue;
    }
    if (u.commitLogOffset + u.size > bounds.maxPhysicalOffset) break;
    if ((req.tagsCodeFilter && !req.tagsCodeFilter(u.tagsCode)) || !take(u.commitLogOffset, u.size)) {
      if (count === 0) status = "NO_MATCHED_MESSAGE";
      continue;
    }
    count++;
    bytes += u.size;
    status = "FOUND";
  }
  return scanned(status, q, min, max);
}

function scanned(
  status: GetMessageStatus,
  nextBeginOffset: number,
  minOffset: number,
  maxOffset: number,
): ScanResult {
  return { status, nextBeginOffset, minOffset, maxOffset };
}

/** RocketMQ's DefaultMessageStore.getMessage over one ConsumeQueue, each message decoded. */
export function getMessages(
  bounds: ReadBounds,
  cq: ConsumeQueue | undefined,
  req: GetMessagesRequest,
  maxScanUnits: number,
): GetMessageResult {
  const messages: MessageExt[] = [];
  const r = scanQueue(bounds, cq, req, maxScanUnits, (offset, size) => {
    const m = readRecord(bounds, offset, size);
    if (m.storeSize !== size) throw damaged(offset, `ConsumeQueue says ${size} bytes`);
    if (req.messageFilter && !req.messageFilter(m)) return false;
    messages.push(m);
    return true;
  });
  return { ...r, messages };
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
    m = bounds.decode(bytes, 0, { checkCRC: false, expectedOffset: commitLogOffset });
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
