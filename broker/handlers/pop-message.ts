import type { RemotingServer } from "../../proto/remoting/index.ts";
import { createResponse, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi, PoppedMessage } from "../broker-api.ts";
import { concatBytes } from "../concat-bytes.ts";
import { decodeReceiptHandle } from "../pop/receipt-handle.ts";
import { encodeMessageExt } from "./record.ts";
import { ok } from "./respond.ts";

/**
 * The per-queue summaries RocketMQ's pop response header carries (ExtraInfoUtil): `startOffsetInfo` =
 * "topicType queueId startOffset;..." and `msgOffsetInfo` = "topicType queueId o1,o2,...;...".
 */
export function offsetInfo(messages: readonly PoppedMessage[]): {
  startOffsetInfo: string;
  msgOffsetInfo: string;
} {
  const byQueue = new Map<string, { start: number; offsets: number[] }>();
  for (const m of messages) {
    const h = decodeReceiptHandle(m.receiptHandle);
    const key = `${h.topicType} ${h.queueId}`;
    const entry = byQueue.get(key) ?? { start: h.startOffset, offsets: [] };
    entry.offsets.push(h.queueOffset);
    byQueue.set(key, entry);
  }
  const starts: string[] = [];
  const offsets: string[] = [];
  for (const [key, e] of byQueue) {
    starts.push(`${key} ${e.start}`);
    offsets.push(`${key} ${e.offsets.join(",")}`);
  }
  return { startOffsetInfo: starts.join(";"), msgOffsetInfo: offsets.join(";") };
}

export interface PopHandlerDeps {
  api: BrokerApi;
}

/** POP_MESSAGE (the Cluster-mode proxy's consume path): messages re-encoded with POP_CK, offsets summarized. */
export function registerPopHandlers(server: RemotingServer, deps: PopHandlerDeps): void {
  const { api } = deps;

  server.handle(RequestCode.POP_MESSAGE, async (cmd, ctx) => {
    const h = readHeader(cmd, {
      consumerGroup: "string",
      topic: "string",
      queueId: "int",
      maxMsgNums: "int",
      invisibleTime: "long",
      pollTime: "long?",
      bornTime: "long?",
      initMode: "int?",
      expType: "string?",
      exp: "string?",
      order: "bool?",
      attemptId: "string?",
    });
    const aborter = new AbortController();
    const unsubscribe = ctx.connection.onClose(() => aborter.abort());
    try {
      const r = await api.pop({
        consumerGroup: h.consumerGroup,
        topic: h.topic,
        queueId: h.queueId,
        maxMsgNums: h.maxMsgNums,
        invisibleTimeMs: h.invisibleTime,
        pollTimeMs: h.pollTime ?? 0,
        ...(h.exp !== undefined ? { filter: { expressionType: h.expType ?? "TAG", expression: h.exp } } : {}),
        initMode: h.initMode === 0 ? "MIN" : "MAX",
        order: h.order ?? false,
        signal: aborter.signal,
      });
      const header = {
        popTime: r.popTime,
        invisibleTime: r.invisibleTime,
        reviveQid: r.reviveQid,
        restNum: r.restNum,
      };
      if (r.status !== "FOUND") {
        const code = (h.pollTime ?? 0) > 0 ? ResponseCode.POLLING_TIMEOUT : ResponseCode.PULL_NOT_FOUND;
        return createResponse(cmd, code, "no new message", header);
      }
      return ok(
        cmd,
        { ...header, ...offsetInfo(r.messages) },
        concatBytes(r.messages.map((m) => encodeMessageExt(m))),
      );
    } finally {
      unsubscribe();
    }
  });
}
