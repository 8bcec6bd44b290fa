import type { RemotingServer } from "../../proto/remoting/index.ts";
import { readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { ok } from "./respond.ts";

/**
 * CHANGE_MESSAGE_INVISIBLETIME. The response header carries popTime, invisibleTime and reviveQid, from which Java
 * clients rebuild the new handle (startOffset = the message's offset); `extraInfo` carries our whole new handle.
 */
export function registerChangeInvisibleTimeHandlers(server: RemotingServer, deps: { api: BrokerApi }): void {
  server.handle(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, async (cmd) => {
    const h = readHeader(cmd, {
      consumerGroup: "string",
      topic: "string",
      queueId: "int?",
      extraInfo: "string",
      offset: "long?",
      invisibleTime: "long",
    });
    const r = await deps.api.changeInvisibleTime({
      consumerGroup: h.consumerGroup,
      topic: h.topic,
      receiptHandle: h.extraInfo,
      invisibleTimeMs: h.invisibleTime,
    });
    return ok(cmd, {
      popTime: r.popTime,
      invisibleTime: r.invisibleTime,
      reviveQid: r.reviveQid,
      extraInfo: r.receiptHandle,
    });
  });
}
