import { MqError } from "../../proto/error.ts";
import { type BatchAck, encodeBatchAckBody } from "../../proto/remoting/index.ts";
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
  ack: BatchAck;
  /** Handle indexes per acked offset. */
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
        ack: {
          consumerGroup,
          topic,
          retry: p[4] as "0" | "1",
          startOffset: so!,
          queueId: q!,
          reviveQueueId: rq!,
          popTime: pt!,
          invisibleTime: it!,
          offsets: [],
        },
        entries: new Map(),
      };
      groups.set(key, g);
    }
    const same = g.entries.get(o!);
    if (same) same.push(i);
    else {
      g.entries.set(o!, [i]);
      g.ack.offsets.push(o!);
    }
  });
  const list = [...groups.values()];
  return {
    body:
      list.length > 0
        ? encodeBatchAckBody(
            brokerName,
            list.map((g) => g.ack),
          )
        : undefined,
    errors,
    singles,
    entriesOf: (ack, offset) => list[ack]?.entries.get(offset) ?? [],
  };
}
