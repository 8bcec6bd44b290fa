import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { StoreCheckpoint } from "./checkpoint.ts";
import type { CommitLog } from "./commit-log.ts";
import { hasRecordAfter, scanCommitLog } from "./commit-log-scan.ts";
import type { ConsumeQueueTable } from "./consume-queue-table.ts";
import { createDispatchFieldsDecoder } from "./dispatch-request.ts";
import { indexKeyHashPrefix } from "./index-file.ts";
import type { MessageIndex } from "./message-index.ts";
import type { MessageStoreOptions } from "./options.ts";

export interface RecoveryInput {
  commitLog: CommitLog;
  cqs: ConsumeQueueTable;
  index: MessageIndex | null;
  options: MessageStoreOptions;
  /** The abort marker was present: the last run did not close. */
  abnormal: boolean;
  checkpoint: StoreCheckpoint | null;
}

export interface RecoveryResult {
  /** End of the valid CommitLog data: appends continue here. */
  end: number;
  /** Start of the last valid record (-1: none). */
  lastRecord: number;
}

/**
 * Brings CommitLog, ConsumeQueues and index back to one consistent end (rules in README.md):
 * verify records from the checkpoint's scanFromOffset (from the first file without a checkpoint), re-dispatch those
 * past the checkpointed ConsumeQueue/index offsets, cut a torn tail, and drop queue units past the end. Refuses with
 * MqError when data the checkpoint says was flushed is missing or damaged.
 */
export function recoverStore(input: RecoveryInput): RecoveryResult {
  const { commitLog, cqs, index, options: o, checkpoint: cp, abnormal } = input;
  const minOffset = commitLog.minOffset;
  const hasFiles = commitLog.queue.files.length > 0;
  index?.recover(cp ? cp.index : null, abnormal);
  for (const cq of cqs.all()) cq.recover();

  const start = cp && cp.scanFromOffset >= minOffset ? cp.scanFromOffset : minOffset;
  const logicsFrom = cp ? cp.logicsOffset : 0;
  const indexFrom = cp ? cp.indexOffset : 0;
  const decode = createDispatchFieldsDecoder(o.tagsCodeOf);
  let lastTopic = "";
  let lastPrefix = indexKeyHashPrefix(lastTopic);
  const scan = hasFiles
    ? scanCommitLog(commitLog, start, o.checkCrcOnRecover, (bytes, view, at, offset, size, layout) => {
        if (offset < logicsFrom && offset < indexFrom) return;
        const req = decode(bytes, view, at, layout);
        if (offset >= logicsFrom && req.consumeQueued) {
          cqs.findOrCreate(req.topic, req.queueId).put(req.queueOffset, offset, size, req.tagsCode);
        }
        if (index && offset >= indexFrom) {
          if (req.topic !== lastTopic) {
            lastTopic = req.topic;
            lastPrefix = indexKeyHashPrefix(lastTopic);
          }
          index.buildIndex(lastPrefix, offset, req.storeTimestamp, req.sysFlag, req.uniqKey, req.keys);
        }
      })
    : { end: 0, lastRecord: -1, records: 0, corrupt: null };

  const durable = cp ? cp.physicFlushedOffset : 0;
  if (scan.end < durable) {
    const why = scan.corrupt ? `a damaged record (${scan.corrupt.reason})` : "no data";
    throw new MqError(
      ResponseCode.SYSTEM_ERROR,
      `CommitLog has ${why} at offset ${scan.end}, below the checkpointed flushed offset ${durable}: acknowledged ` +
        `messages are missing or damaged. Restore the segment files in ${commitLog.queue.dir}, or move the store away.`,
    );
  }
  if (scan.corrupt && !cp && hasRecordAfter(commitLog, scan.corrupt.offset)) {
    throw new MqError(
      ResponseCode.SYSTEM_ERROR,
      `CommitLog record at offset ${scan.corrupt.offset} is damaged (${scan.corrupt.reason}) and valid records ` +
        `follow it; with no checkpoint this is not a torn tail, so nothing is truncated. Restore the segment files ` +
        `in ${commitLog.queue.dir}, or move the store away.`,
    );
  }

  if (hasFiles && (abnormal || !cp || scan.corrupt)) {
    if (scan.corrupt)
      o.logger.warn(`CommitLog: cutting the tail at offset ${scan.end}: ${scan.corrupt.reason}`);
    commitLog.queue.truncateFrom(scan.end);
    // The new checkpoint will call everything up to the end flushed: make it so (the crashed run may not have).
    for (const f of commitLog.queue.files) if (f.fileEndOffset > start) f.flushSync();
  }
  for (const cq of cqs.all()) {
    cq.truncateDirty(scan.end);
    cq.deleteExpired(minOffset);
  }
  o.logger.info(
    `recovered ${abnormal ? "after a crash" : "after a clean shutdown"}: verified ${scan.records} records from ` +
      `offset ${start}, CommitLog ends at ${scan.end}`,
  );
  return { end: scan.end, lastRecord: scan.lastRecord };
}
