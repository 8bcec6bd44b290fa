import { MqError } from "../../proto/error.ts";
import type { RemotingServer } from "../../proto/remoting/index.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { BrokerApi } from "../broker-api.ts";
import { ok } from "./respond.ts";

/** Most acked offsets one BATCH_ACK_MESSAGE may carry: a bound on the work a single request can ask for. */
const MAX_BATCH_ACK_OFFSETS = 4096;

/** One BatchAck of a BATCH_ACK_MESSAGE body, with its bit set expanded to queue offsets. */
export interface BatchAckEntry {
  consumerGroup: string;
  topic: string;
  /** "1" when the messages came from the pop retry topic. */
  retry: "0" | "1";
  startOffset: number;
  queueId: number;
  reviveQueueId: number;
  popTime: number;
  invisibleTime: number;
  offsets: number[];
}

/**
 * A refused offset in the BATCH_ACK_MESSAGE response body, `{"failures":[{ack, offset, code, remark}]}` (a bunmq
 * addition; RocketMQ answers with a code only, and its clients ignore the body). No body: every offset was acked.
 */
export interface BatchAckFailure {
  /** Index of the BatchAck in the request's `acks`. */
  ack: number;
  offset: number;
  code: number;
  remark: string;
}

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
    return ok(cmd, undefined, failures.length > 0 ? encodeJsonBody({ failures }) : undefined);
  });
}

/** Reads a BatchAckMessageRequestBody (short field names as fastjson2 writes them, or the long ones). */
export function decodeBatchAckBody(body: Uint8Array | undefined): {
  brokerName: string;
  acks: BatchAckEntry[];
} {
  const what = "BatchAckMessageRequestBody";
  const r = bodyReader(what);
  const root = r.object(decodeJsonBody(body, what), "$");
  const brokerName = r.string(root.brokerName, "$.brokerName");
  if (brokerName === "" || brokerName.includes(" "))
    throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${what} body: $.brokerName is illegal`);
  let total = 0;
  const acks = r.array(root.acks, "$.acks").map((v, i): BatchAckEntry => {
    const p = `$.acks[${i}]`;
    const o = r.object(v, p);
    const field = (short: string, long: string) => (o[short] !== undefined ? o[short] : o[long]);
    const int = (short: string, long: string) => {
      const n = r.number(field(short, long), `${p}.${short}`);
      if (!Number.isSafeInteger(n) || n < 0)
        throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${what} body: ${p}.${short} is illegal`);
      return n;
    };
    const retry = r.string(field("r", "retry"), `${p}.r`, "0");
    if (retry !== "0" && retry !== "1")
      throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${what} body: ${p}.r must be "0" or "1"`);
    const startOffset = int("so", "startOffset");
    const offsets = bitSetOffsets(r.string(field("b", "bitSet"), `${p}.b`), startOffset, `${p}.b`);
    total += offsets.length;
    if (total > MAX_BATCH_ACK_OFFSETS)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `${what} acks more than ${MAX_BATCH_ACK_OFFSETS} offsets in one request`,
      );
    return {
      consumerGroup: r.string(field("c", "consumerGroup"), `${p}.c`),
      topic: r.string(field("t", "topic"), `${p}.t`),
      retry,
      startOffset,
      queueId: int("q", "queueId"),
      reviveQueueId: int("rq", "reviveQueueId"),
      popTime: int("pt", "popTime"),
      invisibleTime: int("it", "invisibleTime"),
      offsets,
    };
  });
  return { brokerName, acks };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A Java BitSet as BitSetSerializerDeserializer writes it: Base64 of toByteArray(), bit n = byte n/8, bit n%8. */
function bitSetOffsets(base64: string, startOffset: number, path: string): number[] {
  if (base64.length % 4 !== 0 || !BASE64.test(base64))
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `malformed BatchAckMessageRequestBody body: ${path} is not Base64`,
    );
  const bytes = Buffer.from(base64, "base64");
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (byte & (1 << bit)) {
        offsets.push(startOffset + i * 8 + bit);
        if (offsets.length > MAX_BATCH_ACK_OFFSETS)
          throw new MqError(
            ResponseCode.INVALID_PARAMETER,
            `BatchAckMessageRequestBody acks more than ${MAX_BATCH_ACK_OFFSETS} offsets in one request`,
          );
      }
    }
  }
  return offsets;
}
