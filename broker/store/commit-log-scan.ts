import { checkMessageRecord, MESSAGE_MAGIC_CODE, type RecordLayout } from "../../proto/message/index.ts";
import type { CommitLog } from "./commit-log.ts";

const CHUNK = 8 * 1024 * 1024;
const READ_AHEAD = 64 * 1024 * 1024;

export interface ScanResult {
  /** Offset right after the last good record (or blank-filled segment). */
  end: number;
  /** Start of the last good record, -1 if none was seen. */
  lastRecord: number;
  records: number;
  /** Why the scan stopped before the end of the data: the bad position and the defect. */
  corrupt: { offset: number; reason: string } | null;
}

/** Called for each good record; `bytes`/`view` hold it at `at`, `layout` locates its fields there. */
export type OnRecord = (
  bytes: Buffer,
  view: DataView,
  at: number,
  commitLogOffset: number,
  size: number,
  layout: RecordLayout,
) => void;

/**
 * Walks the CommitLog from `from` (a record start), checking every record (structure, stored
 * physical offset, and body CRC when `checkCRC`), following blank markers into the next segment, until zeros,
 * a defect or the last file ends.
 */
export function scanCommitLog(
  commitLog: CommitLog,
  from: number,
  checkCRC: boolean,
  onRecord: OnRecord,
): ScanResult {
  const files = commitLog.queue.files;
  const result: ScanResult = { end: from, lastRecord: -1, records: 0, corrupt: null };
  let index = files.findIndex((f) => from >= f.fileFromOffset && from < f.fileEndOffset);
  if (index < 0) return result;
  while (index < files.length) {
    const file = files[index]!;
    // Records are checked in place in the segment's read mapping: no copy of the log.
    const mapping = file.readView();
    const bytes = Buffer.from(mapping.buffer, mapping.byteOffset, mapping.byteLength);
    const view = new DataView(mapping.buffer, mapping.byteOffset, mapping.byteLength);
    let pos = result.end - file.fileFromOffset;
    let readAheadTo = 0;
    while (pos < file.fileSize) {
      if (pos >= readAheadTo - READ_AHEAD / 2 && commitLog.willNeed) {
        // Keep the kernel reading ahead of the parser, so a cold scan overlaps disk and CPU.
        file.adviseWillNeed(commitLog.willNeed, pos, READ_AHEAD);
        readAheadTo = pos + READ_AHEAD;
      }
      const check = checkMessageRecord(bytes, view, pos, file.fileSize - pos, {
        checkCRC,
        expectedOffset: file.fileFromOffset + pos,
      });
      if (check.kind === "message") {
        onRecord(bytes, view, pos, file.fileFromOffset + pos, check.size, check.layout);
        result.lastRecord = file.fileFromOffset + pos;
        result.records++;
        pos += check.size;
        result.end = file.fileFromOffset + pos;
      } else if (check.kind === "blank") {
        pos = file.fileSize;
        result.end = file.fileEndOffset;
      } else {
        if (check.kind === "corrupt") {
          result.corrupt = { offset: file.fileFromOffset + pos, reason: check.reason };
        }
        return result;
      }
    }
    index++;
  }
  return result;
}

/**
 * Whether a well-formed record (right stored offset, good CRC) exists after `offset`: then a defect at `offset`
 * is damage in the middle of the log, not a torn tail. Searches for the magic bytes, so it is only for the rare
 * recovery without a checkpoint.
 */
export function hasRecordAfter(commitLog: CommitLog, offset: number): boolean {
  const magicPrefix = new Uint8Array(3);
  new DataView(magicPrefix.buffer).setUint16(0, MESSAGE_MAGIC_CODE >>> 16);
  magicPrefix[2] = (MESSAGE_MAGIC_CODE >>> 8) & 0xff; // V1 and V2 magic share their first three bytes
  for (const file of commitLog.queue.files) {
    if (file.fileEndOffset <= offset) continue;
    let pos = Math.max(offset + 1 - file.fileFromOffset, 0);
    const buf = new Uint8Array(CHUNK);
    while (pos < file.fileSize) {
      const n = file.read(pos, Math.min(CHUNK, file.fileSize - pos), buf);
      if (n === 0) break;
      const window = Buffer.from(buf.buffer, 0, n);
      for (let i = window.indexOf(magicPrefix, 4); i >= 0; i = window.indexOf(magicPrefix, i + 1)) {
        const candidate = file.fileFromOffset + pos + i - 4;
        if (candidate > offset && isRecordAt(commitLog, candidate)) return true;
      }
      if (n < CHUNK) break;
      pos += n - 8; // overlap so a magic split across chunks is seen
    }
  }
  return false;
}

function isRecordAt(commitLog: CommitLog, offset: number): boolean {
  const head = commitLog.read(offset, 4);
  if (!head || head.length < 4) return false;
  const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
  if (size <= 0 || size > commitLog.remainingInSegment(offset)) return false;
  const bytes = commitLog.read(offset, size);
  if (!bytes || bytes.length < size) return false;
  const check = checkMessageRecord(bytes, new DataView(bytes.buffer, bytes.byteOffset, size), 0, size, {
    checkCRC: true,
    expectedOffset: offset,
  });
  return check.kind === "message";
}
