import type { RemotingServer } from "../../proto/remoting/index.ts";
import { readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { ok } from "./respond.ts";

/** ACK_MESSAGE: `extraInfo` is the receipt handle; queueId and offset are carried in it too. */
export function registerAckHandlers(server: RemotingServer, deps: { api: BrokerApi }): void {
  server.handle(RequestCode.ACK_MESSAGE, async (cmd) => {
    const h = readHeader(cmd, {
      consumerGroup: "string",
      topic: "string",
      queueId: "int?",
      extraInfo: "string",
      offset: "long?",
    });
    await deps.api.ack({ consumerGroup: h.consumerGroup, topic: h.topic, receiptHandle: h.extraInfo });
    return ok(cmd);
  });
}
