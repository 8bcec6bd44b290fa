import {
  getInt64,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  MessageConst,
  NAME_VALUE_SEPARATOR,
  PROPERTY_SEPARATOR,
  RecordField,
  recordLayout,
} from "../../proto/message/index.ts";
import type { ConsumeQueue } from "./consume-queue.ts";
import { damaged, type ReadBounds, scanQueue } from "./read-messages.ts";
import type { GetMessageStatus, GetMessagesRequest } from "./types.ts";

/** A get whose filter needs no more of a record than its tag: the records are copied, never decoded. */
export interface GetRawMessagesRequest extends Omit<GetMessagesRequest, "messageFilter"> {
  /**
   * The exact decision on the record's TAGS property (undefined when it has none), asked only after
   * tagsCodeFilter passed: a tag hash collision is not delivered.
   */
  tagFilter?: (tags: string | undefined) => boolean;
}

export interface GetRawMessageResult {
  status: GetMessageStatus;
  /** The records back to back, as stored (a PULL_MESSAGE body); empty unless FOUND. */
  body: Uint8Array;
  /** Records in `body`. */
  count: number;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** A run of adjacent records in one segment's mapping: bytes [from, to). */
interface Run {
  bytes: Uint8Array;
  from: number;
  to: number;
}

const TAGS_ENTRY = new TextEncoder().encode(`${MessageConst.PROPERTY_TAGS}${NAME_VALUE_SEPARATOR}`);
const PROPERTY_SEPARATOR_BYTE = PROPERTY_SEPARATOR.charCodeAt(0);
const utf8Decoder = new TextDecoder();

/**
 * getMessages without decoding (RocketMQ's pull path copies the stored bytes after the ConsumeQueue check):
 * each record is checked against its unit (size, magic code, physical offset), adjacent records are copied
 * with one copy per run. The body CRC is not verified here (as in RocketMQ's reads; recovery checks it).
 * Throws MqError(SYSTEM_ERROR) when a unit points at something that is not its record.
 */
export function getRawMessages(
  bounds: ReadBounds,
  cq: ConsumeQueue | undefined,
  req: GetRawMessagesRequest,
  maxScanUnits: number,
): GetRawMessageResult {
  const runs: Run[] = [];
  let last: Run | undefined;
  let count = 0;
  let total = 0;
  let mapping: Uint8Array | undefined;
  let view: DataView | undefined;
  const r = scanQueue(bounds, cq, req, maxScanUnits, (offset, size) => {
    const segment = bounds.commitLog.segmentAt(offset);
    const at = segment?.at ?? 0;
    if (!segment || at + size > segment.bytes.length) {
      throw damaged(offset, "no segment file holds the whole record");
    }
    if (segment.bytes !== mapping) {
      mapping = segment.bytes;
      view = new DataView(mapping.buffer, mapping.byteOffset, mapping.byteLength);
    }
    const magic = checkRecord(view!, at, size, offset);
    if (req.tagFilter && !req.tagFilter(tagsOf(mapping, view!, at, size, magic, offset))) return false;
    if (last && last.bytes === mapping && last.to === at) {
      last.to = at + size;
    } else {
      last = { bytes: mapping, from: at, to: at + size };
      runs.push(last);
    }
    count++;
    total += size;
    return true;
  });
  return { ...r, body: copyRuns(runs, total), count };
}

/** The record's magic code, after checking that the unit's record starts at `at` and is `size` bytes long. */
function checkRecord(view: DataView, at: number, size: number, offset: number): number {
  const stored = view.getInt32(at);
  if (stored !== size) throw damaged(offset, `TOTALSIZE ${stored} where the ConsumeQueue says ${size} bytes`);
  const magic = view.getInt32(at + RecordField.MAGICCODE);
  if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) {
    throw damaged(offset, `bad MAGICCODE 0x${(magic >>> 0).toString(16)}`);
  }
  const physical = getInt64(view, at + RecordField.PHYSICALOFFSET);
  if (physical !== offset) throw damaged(offset, `PHYSICALOFFSET ${physical}`);
  return magic;
}

/**
 * The TAGS property straight from the record's properties bytes (the last entry wins, as when decoding).
 * The separators are ASCII and never inside a UTF-8 sequence, so a byte scan finds the same entries.
 */
function tagsOf(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  size: number,
  magic: number,
  offset: number,
): string | undefined {
  const layout = recordLayout(view, at, size, magic);
  if (typeof layout === "string") throw damaged(offset, layout);
  const end = layout.propertiesAt + layout.propertiesLength;
  let tags: string | undefined;
  for (let start = layout.propertiesAt; start < end; ) {
    let stop = start;
    while (stop < end && bytes[stop] !== PROPERTY_SEPARATOR_BYTE) stop++;
    if (stop - start >= TAGS_ENTRY.length && startsWithTagsEntry(bytes, start)) {
      tags = utf8Decoder.decode(bytes.subarray(start + TAGS_ENTRY.length, stop));
    }
    start = stop + 1;
  }
  return tags;
}

function startsWithTagsEntry(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < TAGS_ENTRY.length; i++) if (bytes[at + i] !== TAGS_ENTRY[i]) return false;
  return true;
}

/** One copy per run; a single run (the usual case: a queue's records written back to back) is one slice. */
function copyRuns(runs: readonly Run[], total: number): Uint8Array {
  if (runs.length === 0) return new Uint8Array(0);
  if (runs.length === 1) return runs[0]!.bytes.slice(runs[0]!.from, runs[0]!.to);
  const body = new Uint8Array(total);
  let at = 0;
  for (const run of runs) {
    body.set(run.bytes.subarray(run.from, run.to), at);
    at += run.to - run.from;
  }
  return body;
}
