import { MqError } from "../../proto/error.ts";
import type { MessageExt } from "../../proto/message/index.ts";
import type { RemotingServer } from "../../proto/remoting/index.ts";
import { readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { concatBytes } from "../concat-bytes.ts";
import { ok } from "./respond.ts";

/** extFields flag a Java client sets to look a message up by UNIQ_KEY instead of KEYS. */
export const UNIQUE_KEY_QUERY = "_UNIQUE_KEY_QUERY";

export interface QueryHandlerDeps {
  api: BrokerApi;
}

/** QUERY_MESSAGE (by key or UNIQ_KEY) and VIEW_MESSAGE_BY_ID (by CommitLog offset). */
export function registerQueryHandlers(server: RemotingServer, deps: QueryHandlerDeps): void {
  const { api } = deps;
  server.handle(RequestCode.QUERY_MESSAGE, async (cmd) => {
    const h = readHeader(cmd, {
      topic: "string",
      key: "string",
      maxNum: "int",
      beginTimestamp: "long",
      endTimestamp: "long",
    });
    let found: MessageExt[];
    if (cmd.extFields[UNIQUE_KEY_QUERY] === "true") {
      const one = await api.queryMessageByUniqKey(h.topic, h.key);
      found = one ? [one] : [];
    } else {
      found = await api.queryMessageByKey(h.topic, h.key, h.maxNum, h.beginTimestamp, h.endTimestamp);
    }
    if (found.length === 0)
      throw new MqError(ResponseCode.QUERY_NOT_FOUND, "can not find message, maybe time range not correct");
    const last = found.reduce((a, b) => (a.commitLogOffset > b.commitLogOffset ? a : b));
    return ok(
      cmd,
      { indexLastUpdateTimestamp: last.storeTimestamp, indexLastUpdatePhyoffset: last.commitLogOffset },
      concatBytes(found.map((m) => m.raw)),
    );
  });

  server.handle(RequestCode.VIEW_MESSAGE_BY_ID, async (cmd) => {
    const h = readHeader(cmd, { offset: "long" });
    const msg = await api.lookMessageByOffset(h.offset);
    if (!msg)
      throw new MqError(ResponseCode.QUERY_NOT_FOUND, `can not find message by the offset ${h.offset}`);
    return ok(cmd, undefined, msg.raw);
  });
}
