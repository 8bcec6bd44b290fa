import { MqError } from "../../proto/error.ts";
import type { RemotingServer } from "../../proto/remoting/index.ts";
import {
  type BatchAckFailure,
  decodeBatchAckBody,
  encodeBatchAckFailures,
  readHeader,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { ok } from "./respond.ts";

/**
 * ACK_MESSAGE: `extraInfo` is the receipt handle; queueId and offset are carried in it too.
 * BATCH_ACK_MESSAGE: a JSON BatchAckMessageRequestBody; each BatchAck names one pop checkpoint and its acked
 * offsets as a bit set relative to startOffset. A bad body refuses the request; a refused offset is reported in
 * the response body while the others are acked.
 */
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

  server.handle(RequestCode.BATCH_ACK_MESSAGE, async (cmd) => {
    const { brokerName, acks } = decodeBatchAckBody(cmd.body);
    const failures: BatchAckFailure[] = [];
    await Promise.all(
      acks.map(async (a, ack) => {
        // The receipt handle form (pre-5.x, without commitLogOffset) carries what the pop service looks up.
        const head = `${a.startOffset} ${a.popTime} ${a.invisibleTime} ${a.reviveQueueId} ${a.retry} ${brokerName} ${a.queueId} `;
        const receiptHandles = a.offsets.map((o) => head + o);
        try {
          const errors = await deps.api.ackBatch({
            consumerGroup: a.consumerGroup,
            topic: a.topic,
            receiptHandles,
          });
          errors.forEach((e, k) => {
            if (e) failures.push({ ack, offset: a.offsets[k]!, code: e.code, remark: e.message });
          });
        } catch (err) {
          const e = MqError.from(err);
          for (const offset of a.offsets) failures.push({ ack, offset, code: e.code, remark: e.message });
        }
      }),
    );
    return ok(cmd, undefined, encodeBatchAckFailures(failures));
  });
}
