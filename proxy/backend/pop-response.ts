import { decodeMessageRecord, MessageConst, type MessageExt } from "../../proto/message/index.ts";
import type { PoppedMessage } from "./backend.ts";

/** A PULL_MESSAGE / POP_MESSAGE response body: stored CommitLog records back to back. */
export function decodeMessageRecords(body: Uint8Array | undefined): MessageExt[] {
  const out: MessageExt[] = [];
  if (!body) return out;
  for (let at = 0; at < body.byteLength; ) {
    const m = decodeMessageRecord(body, at, { checkCRC: false });
    out.push(m);
    at += m.storeSize;
  }
  return out;
}

const RETRY_PREFIX = "%RETRY%";

/** ExtraInfoUtil's start-offset map: "topicMark queueId startOffset" entries separated by ';'. */
function parseStartOffsetInfo(info: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of (info ?? "").split(";")) {
    const [mark, queueId, offset] = entry.trim().split(" ");
    if (mark === undefined || queueId === undefined || offset === undefined) continue;
    out.set(`${mark === "0" ? "0" : "1"}@${queueId}`, Number(offset));
  }
  return out;
}

export interface PopResponseHeader {
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  startOffsetInfo?: string;
}

/**
 * Attaches a receipt handle to each popped record: the broker's POP_CK property when it sent one, otherwise
 * built the way RocketMQ's client does from the response header (start offset of the record's queue, pop time,
 * invisible time, revive queue) plus the record's own queue, offset and CommitLog offset.
 */
export function withReceiptHandles(
  records: MessageExt[],
  header: PopResponseHeader,
  brokerName: string,
): PoppedMessage[] {
  const starts = parseStartOffsetInfo(header.startOffsetInfo);
  return records.map((m) => {
    let receiptHandle = m.properties[MessageConst.PROPERTY_POP_CK];
    if (!receiptHandle) {
      const topicType = m.topic.startsWith(RETRY_PREFIX) ? "1" : "0";
      const start = starts.get(`${topicType}@${m.queueId}`) ?? m.queueOffset;
      receiptHandle = [
        start,
        header.popTime,
        header.invisibleTime,
        header.reviveQid,
        topicType,
        brokerName,
        m.queueId,
        m.queueOffset,
        m.commitLogOffset,
      ].join(" ");
    }
    return { ...m, receiptHandle };
  });
}
