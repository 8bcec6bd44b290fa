import type { RemotingServer } from "../../proto/remoting/index.ts";
import { encodeJsonBody, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { ok } from "./respond.ts";

export interface OffsetHandlerDeps {
  api: BrokerApi;
  /** consumerOffset.json's offsetTable, for GET_ALL_CONSUMER_OFFSET. */
  allConsumerOffsets: () => Record<string, Record<string, number>>;
  /** delayOffset.json's offsetTable, for GET_ALL_DELAY_OFFSET. */
  allDelayOffsets: () => Record<string, number>;
}

/** GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME and the offset dumps. */
export function registerOffsetHandlers(server: RemotingServer, deps: OffsetHandlerDeps): void {
  const { api } = deps;
  server.handle(RequestCode.GET_MAX_OFFSET, async (cmd) => {
    const h = readHeader(cmd, { topic: "string", queueId: "int", committed: "bool?" });
    return ok(cmd, { offset: await api.getMaxOffset(h.topic, h.queueId) });
  });
  server.handle(RequestCode.GET_MIN_OFFSET, async (cmd) => {
    const h = readHeader(cmd, { topic: "string", queueId: "int" });
    return ok(cmd, { offset: await api.getMinOffset(h.topic, h.queueId) });
  });
  server.handle(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, async (cmd) => {
    const h = readHeader(cmd, {
      topic: "string",
      queueId: "int",
      timestamp: "long",
      boundaryType: "string?",
    });
    const boundary = h.boundaryType?.toUpperCase() === "UPPER" ? "UPPER" : "LOWER";
    return ok(cmd, { offset: await api.searchOffset(h.topic, h.queueId, h.timestamp, boundary) });
  });
  server.handle(RequestCode.GET_EARLIEST_MSG_STORETIME, async (cmd) => {
    const h = readHeader(cmd, { topic: "string", queueId: "int" });
    return ok(cmd, { timestamp: await api.getEarliestMsgStoreTime(h.topic, h.queueId) });
  });
  server.handle(RequestCode.GET_ALL_CONSUMER_OFFSET, (cmd) =>
    ok(cmd, undefined, encodeJsonBody({ offsetTable: deps.allConsumerOffsets() })),
  );
  server.handle(RequestCode.GET_ALL_DELAY_OFFSET, (cmd) =>
    ok(cmd, undefined, encodeJsonBody({ offsetTable: deps.allDelayOffsets() })),
  );
}
