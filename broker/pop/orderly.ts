import { MessageConst, type MessageExt } from "../../proto/message/index.ts";
import type { PoppedMessage } from "../broker-api.ts";
import type { ConsumerOffsetTable } from "../consumer-offset.ts";
import type { MessageFilter } from "../filter/index.ts";
import type { MessageStore } from "../store/index.ts";
import { encodeReceiptHandle } from "./receipt-handle.ts";

/** KeyBuilder.POP_ORDER_REVIVE_QUEUE: the reviveQid that marks an orderly pop's receipt handle. */
export const POP_ORDER_REVIVE_QUEUE = 999;

/** What one orderly pop handed out from a queue; the queue stays blocked for the group until it is all acked. */
interface OrderBatch {
  startOffset: number;
  offsets: number[];
  /** Where the group's offset goes once every message of the batch is acked. */
  nextOffset: number;
  popTime: number;
  /** The queue is blocked until then, or until the batch is acked. */
  deadline: number;
  acked: Set<number>;
  /** Deliveries so far per queue offset (becomes the message's reconsumeTimes). */
  deliveries: Map<number, number>;
}

export interface OrderlyDeps {
  store: MessageStore;
  offsets: ConsumerOffsetTable;
  clock: () => number;
  brokerName: string;
  /** A message delivered more than its group's retryMaxTimes + 1 times goes to the DLQ instead. */
  retryMaxTimes: (group: string) => number;
  putDlq: (group: string, topic: string, msg: MessageExt) => Promise<void>;
}

/**
 * FIFO (orderly) pop, as RocketMQ's ConsumerOrderInfoManager: a queue hands one batch at a time to a group; until
 * the batch is acked or its invisible time ends the queue gives the group nothing more, and when it ends the
 * unacked messages are popped again from the same queue, in order, with reconsumeTimes + 1. The group's consumer
 * offset moves only when a batch is fully acked, so after a restart an unacked batch is simply popped again.
 */
export class OrderlyQueues {
  private readonly batches = new Map<string, OrderBatch>();

  constructor(private readonly deps: OrderlyDeps) {}

  private key(group: string, topic: string, queueId: number): string {
    return `${group}\u0001${topic}\u0001${queueId}`;
  }

  async pop(
    group: string,
    topic: string,
    queueId: number,
    need: number,
    invisibleTime: number,
    filter: MessageFilter | undefined,
    popTime: number,
    initMode: "MIN" | "MAX" | undefined,
  ): Promise<{ messages: PoppedMessage[]; restNum: number }> {
    const { store, offsets } = this.deps;
    const key = this.key(group, topic, queueId);
    const previous = this.batches.get(key);
    if (previous && this.deps.clock() < previous.deadline) return { messages: [], restNum: 0 };

    let start = offsets.query(group, topic, queueId);
    if (start < 0) {
      start =
        initMode === "MIN"
          ? store.getMinOffsetInQueue(topic, queueId)
          : store.getMaxOffsetInQueue(topic, queueId);
      offsets.commit(group, topic, queueId, start);
    }
    start = Math.max(start, store.getMinOffsetInQueue(topic, queueId));
    const deliveries = previous?.deliveries ?? new Map<number, number>();
    const alreadyAcked = previous?.acked ?? new Set<number>();
    const fresh: MessageExt[] = [];
    let next = start;
    let restNum = 0;
    // Read on past messages acked in an earlier batch (or sent to the DLQ) until `need` fresh ones are found.
    while (fresh.length < need) {
      const r = await store.getMessages({
        topic,
        queueId,
        queueOffset: next,
        maxCount: need - fresh.length,
        ...(filter
          ? {
              tagsCodeFilter: (code: number) => filter.matchesTagsCode(code),
              messageFilter: (m: MessageExt) => filter.matches(m.properties),
            }
          : {}),
      });
      restNum = Math.max(0, r.maxOffset - r.nextBeginOffset);
      for (const m of r.messages) {
        if (alreadyAcked.has(m.queueOffset)) continue;
        const delivery = (deliveries.get(m.queueOffset) ?? 0) + 1;
        if (delivery > this.deps.retryMaxTimes(group) + 1) {
          await this.deps.putDlq(group, topic, { ...m, reconsumeTimes: delivery - 2 });
          alreadyAcked.add(m.queueOffset);
          continue;
        }
        deliveries.set(m.queueOffset, delivery);
        fresh.push(m);
      }
      if (r.messages.length === 0 || r.nextBeginOffset <= next) {
        next = Math.max(next, r.nextBeginOffset);
        break;
      }
      next = r.nextBeginOffset;
    }
    if (fresh.length === 0) {
      this.batches.delete(key);
      if (next > start) offsets.commit(group, topic, queueId, next);
      return { messages: [], restNum };
    }
    const batch: OrderBatch = {
      startOffset: start,
      offsets: fresh.map((m) => m.queueOffset),
      nextOffset: next,
      popTime,
      deadline: popTime + invisibleTime,
      acked: alreadyAcked,
      deliveries,
    };
    this.batches.set(key, batch);
    const messages = fresh.map((m): PoppedMessage => {
      const handle = encodeReceiptHandle({
        startOffset: start,
        popTime,
        invisibleTime,
        reviveQid: POP_ORDER_REVIVE_QUEUE,
        topicType: "0",
        brokerName: this.deps.brokerName,
        queueId,
        queueOffset: m.queueOffset,
        commitLogOffset: m.commitLogOffset,
      });
      const properties: Record<string, string> = { ...m.properties, [MessageConst.PROPERTY_POP_CK]: handle };
      return { ...m, properties, reconsumeTimes: deliveries.get(m.queueOffset)! - 1, receiptHandle: handle };
    });
    return { messages, restNum };
  }

  /** True when `offset` is part of the queue's current batch and not yet acked. */
  inFlight(group: string, topic: string, queueId: number, offset: number): boolean {
    const b = this.batches.get(this.key(group, topic, queueId));
    return b?.offsets.includes(offset) === true && !b.acked.has(offset);
  }

  /** Acks one message; the last ack of a batch moves the group's offset past it and unblocks the queue. */
  ack(group: string, topic: string, queueId: number, offset: number): void {
    const key = this.key(group, topic, queueId);
    const b = this.batches.get(key);
    if (!b?.offsets.includes(offset)) return;
    b.acked.add(offset);
    if (b.offsets.every((o) => b.acked.has(o))) {
      this.batches.delete(key);
      this.deps.offsets.commit(group, topic, queueId, b.nextOffset);
    }
  }

  /** Moves the queue's deadline; returns the new pop time. */
  changeInvisibleTime(group: string, topic: string, queueId: number, invisibleTime: number): number {
    const b = this.batches.get(this.key(group, topic, queueId));
    const now = this.deps.clock();
    if (b) {
      b.popTime = now;
      b.deadline = now + invisibleTime;
    }
    return now;
  }
}
