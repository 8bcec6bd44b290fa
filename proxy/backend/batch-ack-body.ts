import { MqError } from "../../proto/error.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody } from "../../proto/remoting/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/**
 * The BATCH_ACK_MESSAGE request body (RocketMQ's BatchAckMessageRequestBody) for receipt handles of one broker:
 * handles of the same pop checkpoint (retry, queueId, startOffset, popTime) become one BatchAck whose bit set marks
 * the acked offsets relative to startOffset, as the 5.x proxy builds it.
 */
export interface BatchAckPlan {
  /** Undefined when no handle was well-formed (nothing to send). */
  body: Uint8Array | undefined;
  /** Per handle, in order: its refusal when it could not be put in the body (malformed). */
  errors: Array<MqError | undefined>;
  /** Handles (indexes) too far from their checkpoint's start for a bit set: to be acked one by one. */
  singles: number[];
  /** The handles (indexes) a BatchAck's offset came from, to place the broker's per-offset failures. */
  entriesOf(ack: number, offset: number): number[];
}

/** Most bits one BatchAck may span; handles further from their checkpoint start go in `singles`. */
const MAX_BIT_SPAN = 1 << 16;

interface Group {
  ack: Record<string, unknown>;
  startOffset: number;
  bits: Uint8Array;
  entries: Map<number, number[]>;
}

export function planBatchAck(
  brokerName: string,
  consumerGroup: string,
  topic: string,
  receiptHandles: readonly string[],
): BatchAckPlan {
  const errors: Array<MqError | undefined> = new Array(receiptHandles.length).fill(undefined);
  const groups = new Map<string, Group>();
  const singles: number[] = [];
  receiptHandles.forEach((handle, i) => {
    // startOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset [commitLogOffset]
    const p = handle.split(" ");
    const n = p.map(Number);
    const [so, pt, it, rq, , , q, o] = n;
    const ints = [so, pt, it, rq, q, o].every((v) => Number.isSafeInteger(v) && v! >= 0);
    if (p.length < 8 || !ints || (p[4] !== "0" && p[4] !== "1") || o! < so!) {
      errors[i] = new MqError(ResponseCode.INVALID_PARAMETER, "malformed receipt handle");
      return;
    }
    if (o! - so! >= MAX_BIT_SPAN) {
      singles.push(i);
      return;
    }
    const key = `${p[4]} ${q} ${so} ${pt} ${it} ${rq}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        ack: { c: consumerGroup, t: topic, r: p[4], so, q, rq, pt, it },
        startOffset: so!,
        bits: new Uint8Array(0),
        entries: new Map(),
      };
      groups.set(key, g);
    }
    const bit = o! - so!;
    if (bit >> 3 >= g.bits.length) {
      const grown = new Uint8Array((bit >> 3) + 1);
      grown.set(g.bits);
      g.bits = grown;
    }
    g.bits[bit >> 3]! |= 1 << (bit & 7);
    const same = g.entries.get(o!);
    if (same) same.push(i);
    else g.entries.set(o!, [i]);
  });
  const list = [...groups.values()];
  const acks = list.map((g) => ({ ...g.ack, b: Buffer.from(g.bits).toString("base64") }));
  return {
    body: acks.length > 0 ? encodeJsonBody({ brokerName, acks }) : undefined,
    errors,
    singles,
    entriesOf: (ack, offset) => list[ack]?.entries.get(offset) ?? [],
  };
}

/** The per-offset failures a bunmq broker puts in its BATCH_ACK_MESSAGE response (none from a RocketMQ broker). */
export function decodeBatchAckFailures(
  body: Uint8Array | undefined,
): Array<{ ack: number; offset: number; code: number; remark: string }> {
  if (!body || body.length === 0) return [];
  const what = "BATCH_ACK_MESSAGE response";
  const r = bodyReader(what);
  const root = r.object(decodeJsonBody(body, what), "$");
  return r.array(root.failures, "$.failures", []).map((v, i) => {
    const f = r.object(v, `$.failures[${i}]`);
    return {
      ack: r.number(f.ack, `$.failures[${i}].ack`),
      offset: r.number(f.offset, `$.failures[${i}].offset`),
      code: r.number(f.code, `$.failures[${i}].code`),
      remark: r.string(f.remark, `$.failures[${i}].remark`, ""),
    };
  });
}
