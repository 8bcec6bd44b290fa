import { MqError } from "../../proto/error.ts";
import { MessageConst, type MessageExt } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type {
  AckBatchRequest,
  AckBatchResult,
  AckRequest,
  ChangeInvisibleTimeRequest,
  ChangeInvisibleTimeResult,
  PoppedMessage,
  PopRequest,
  PopResult,
} from "../broker-api.ts";
import type { ConsumerOffsetTable } from "../consumer-offset.ts";
import type { MessageFilter } from "../filter/index.ts";
import { ensureInnerTopic, type TopicCreation } from "../inner-topics.ts";
import type { LongPolling, PollTarget } from "../long-polling.ts";
import { checkConsumable, filterOf, type ReadConfig } from "../pull.ts";
import { dlqProperties, reputInput } from "../retry.ts";
import type { RoleState } from "../role-state.ts";
import type { MessageStore } from "../store/index.ts";
import type { SubscriptionGroupTable } from "../subscription-group.ts";
import { PERM_READ, PERM_WRITE } from "../topic-config.ts";
import {
  buildPopRetryTopic,
  CID_RMQ_SYS_REVIVE_GROUP,
  getDLQTopic,
  isRetryTopic,
  reviveTopicOf,
  validateGroup,
  validateTopic,
} from "../topic-validator.ts";
import {
  ACK_TAG,
  BATCH_ACK_TAG,
  type Checkpoint,
  CK_TAG,
  checkpointKey,
  DONE_TAG,
  decodeAck,
  decodeCheckpoint,
  encodeAck,
  encodeBatchAck,
  encodeCheckpoint,
  keyOf,
} from "./checkpoint.ts";
import { OrderlyQueues, POP_ORDER_REVIVE_QUEUE } from "./orderly.ts";
import {
  decodeReceiptHandle,
  decodeReceiptHandleRest,
  encodeReceiptHandle,
  queueOffsetFieldAt,
  type ReceiptHandle,
  realTopicOf,
  topicTypeOf,
} from "./receipt-handle.ts";

export interface PopConfig extends ReadConfig {
  clusterName: string;
  /** Queues of the revive log topic rmq_sys_REVIVE_LOG_<cluster> (reviveQueueNum). */
  reviveQueueNum: number;
  /** Period of the revive scan; 0 = no timer (tests call `revive()`). */
  reviveIntervalMs: number;
  /** Most messages one pop returns (RocketMQ refuses more than 32). */
  maxPopMsgNums: number;
}

export const defaultPopConfig = Object.freeze({
  reviveQueueNum: 8,
  reviveIntervalMs: 1000,
  maxPopMsgNums: 32,
});

export interface PopDeps extends TopicCreation {
  store: MessageStore;
  groups: SubscriptionGroupTable;
  offsets: ConsumerOffsetTable;
  roleState: RoleState;
  longPolling: LongPolling;
  clock: () => number;
  config: PopConfig;
  onError?: (err: unknown) => void;
}

function notInCheckpoint(offset: number): MqError {
  return new MqError(
    ResponseCode.INVALID_PARAMETER,
    `receipt handle offset ${offset} is not part of its pop checkpoint`,
  );
}

/** Every fifth pop reads the retry topic first, so redeliveries are not starved by a busy topic. */
const RETRY_FIRST_EVERY = 5;

/**
 * Pop consumption (RIP-19) with its state: pending checkpoints in memory, written ahead to the revive log so a
 * restart rebuilds them (README.md). Messages not acked within their invisible time are revived into the pop
 * retry topic %RETRY%group_topic with reconsumeTimes + 1, or into %DLQ%group past the group's retryMaxTimes.
 */
export class PopService {
  private readonly pending = new Map<string, Checkpoint>();
  private readonly busy = new Set<string>();
  private readonly reviveTopic: string;
  private popCount = 0;
  private reviveCount = 0;
  private ckWritesInFlight = 0;
  private reviving?: Promise<number>;
  private timer?: ReturnType<typeof setInterval>;
  private closed = false;

  private readonly orderly: OrderlyQueues;

  constructor(private readonly deps: PopDeps) {
    this.reviveTopic = reviveTopicOf(deps.config.clusterName);
    this.orderly = new OrderlyQueues({
      store: deps.store,
      offsets: deps.offsets,
      clock: deps.clock,
      brokerName: deps.config.brokerName,
      retryMaxTimes: (group) => deps.groups.get(group)?.retryMaxTimes ?? 16,
      putDlq: (group, topic, msg) => this.putDlq(group, topic, msg),
    });
  }

  /** Creates the revive log topic and rebuilds pending checkpoints from it; starts the revive timer. */
  async start(): Promise<void> {
    ensureInnerTopic(this.deps, this.reviveTopic, this.deps.config.reviveQueueNum, PERM_READ | PERM_WRITE);
    await this.recover();
    if (this.deps.config.reviveIntervalMs > 0) {
      this.timer = setInterval(() => {
        this.revive().catch((err) => this.deps.onError?.(err));
      }, this.deps.config.reviveIntervalMs);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.reviving?.catch(() => 0);
    this.updateWatermarks();
  }

  /** Checkpoints not yet fully acked or revived. */
  get pendingCount(): number {
    return this.pending.size;
  }

  async pop(req: PopRequest): Promise<PopResult> {
    const { deps } = this;
    const { topic: tc } = checkConsumable(deps, req.consumerGroup, req.topic);
    if (!Number.isInteger(req.queueId) || req.queueId < -1 || req.queueId >= tc.readQueueNums)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `queueId[${req.queueId}] is illegal for topic ${req.topic}`,
      );
    if (!Number.isInteger(req.maxMsgNums) || req.maxMsgNums < 1 || req.maxMsgNums > deps.config.maxPopMsgNums)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `maxMsgNums ${req.maxMsgNums} is illegal, the broker restricts it to 1..${deps.config.maxPopMsgNums}`,
      );
    if (!Number.isSafeInteger(req.invisibleTimeMs) || req.invisibleTimeMs <= 0)
      throw new MqError(ResponseCode.INVALID_PARAMETER, `invisibleTime ${req.invisibleTimeMs} is illegal`);
    const filter = filterOf(deps.config, req.filter);
    const retryTopic = buildPopRetryTopic(req.topic, req.consumerGroup);
    const targets: PollTarget[] = [
      { topic: req.topic, queueId: req.queueId },
      { topic: retryTopic, queueId: -1 },
    ];
    const pollTime = deps.config.longPollingEnable ? Math.max(0, req.pollTimeMs ?? 0) : 0;
    const deadline = deps.clock() + pollTime;
    const reviveQid = this.reviveCount++ % deps.config.reviveQueueNum;

    for (;;) {
      const seen = deps.longPolling.version(targets);
      const popTime = deps.clock();
      const { messages, restNum } = await this.popOnce(
        req,
        tc.readQueueNums,
        retryTopic,
        filter,
        popTime,
        reviveQid,
      );
      if (messages.length > 0)
        return { status: "FOUND", popTime, invisibleTime: req.invisibleTimeMs, reviveQid, restNum, messages };
      const remaining = deadline - deps.clock();
      if (
        remaining <= 0 ||
        this.closed ||
        req.signal?.aborted ||
        (await deps.longPolling.wait(targets, remaining, seen, req.signal)) !== "arrived"
      )
        return {
          status: "NO_NEW_MSG",
          popTime,
          invisibleTime: req.invisibleTimeMs,
          reviveQid,
          restNum,
          messages,
        };
    }
  }

  private async popOnce(
    req: PopRequest,
    readQueueNums: number,
    retryTopic: string,
    filter: MessageFilter | undefined,
    popTime: number,
    reviveQid: number,
  ): Promise<{ messages: PoppedMessage[]; restNum: number }> {
    const count = this.popCount++;
    const normal: Array<[string, number]> = [];
    if (req.queueId >= 0) normal.push([req.topic, req.queueId]);
    else for (let i = 0; i < readQueueNums; i++) normal.push([req.topic, (count + i) % readQueueNums]);
    const retry: Array<[string, number]> = [];
    const retryConfig = this.deps.topics.get(retryTopic);
    for (let q = 0; q < (retryConfig?.readQueueNums ?? 0); q++) retry.push([retryTopic, q]);
    const order = count % RETRY_FIRST_EVERY === 0 ? [...retry, ...normal] : [...normal, ...retry];

    const messages: PoppedMessage[] = [];
    let restNum = 0;
    if (req.order) {
      // FIFO: each queue is its own ordered stream; redeliveries come from the queue itself, not a retry topic.
      for (const [topic, queueId] of normal) {
        const need = req.maxMsgNums - messages.length;
        if (need <= 0) break;
        const lockKey = `${req.consumerGroup}\u0001${topic}\u0001${queueId}`;
        if (this.busy.has(lockKey)) continue;
        this.busy.add(lockKey);
        try {
          const r = await this.orderly.pop(
            req.consumerGroup,
            topic,
            queueId,
            need,
            req.invisibleTimeMs,
            filter,
            popTime,
            req.initMode,
          );
          messages.push(...r.messages);
          restNum += r.restNum;
        } finally {
          this.busy.delete(lockKey);
        }
      }
      return { messages, restNum };
    }
    for (const [readTopic, queueId] of order) {
      const need = req.maxMsgNums - messages.length;
      if (need <= 0) break;
      const r = await this.popFromQueue(req, readTopic, queueId, need, filter, popTime, reviveQid);
      messages.push(...r.messages);
      restNum += r.restNum;
    }
    return { messages, restNum };
  }

  private async popFromQueue(
    req: PopRequest,
    readTopic: string,
    queueId: number,
    need: number,
    filter: MessageFilter | undefined,
    popTime: number,
    reviveQid: number,
  ): Promise<{ messages: PoppedMessage[]; restNum: number }> {
    const { deps } = this;
    const group = req.consumerGroup;
    const lockKey = `${group}\u0001${readTopic}\u0001${queueId}`;
    // Like RocketMQ's queue lock: a queue another pop of the group is reading is skipped, not waited for.
    if (this.busy.has(lockKey)) return { messages: [], restNum: 0 };
    this.busy.add(lockKey);
    try {
      const minOffset = deps.store.getMinOffsetInQueue(readTopic, queueId);
      const maxOffset = deps.store.getMaxOffsetInQueue(readTopic, queueId);
      let offset = deps.offsets.query(group, readTopic, queueId);
      if (offset < 0) {
        offset = req.initMode === "MIN" || isRetryTopic(readTopic) ? minOffset : maxOffset;
        deps.offsets.commit(group, readTopic, queueId, offset);
      }
      if (offset < minOffset) offset = minOffset;
      if (offset >= maxOffset) return { messages: [], restNum: 0 };

      const r = await deps.store.getMessages({
        topic: readTopic,
        queueId,
        queueOffset: offset,
        maxCount: need,
        ...(filter
          ? {
              tagsCodeFilter: (code: number) => filter.matchesTagsCode(code),
              messageFilter: (m: MessageExt) => filter.matches(m.properties),
            }
          : {}),
      });
      const restNum = Math.max(0, r.maxOffset - r.nextBeginOffset);
      if (r.messages.length === 0) {
        if (r.nextBeginOffset > offset) deps.offsets.commit(group, readTopic, queueId, r.nextBeginOffset);
        return { messages: [], restNum };
      }

      const ck: Checkpoint = {
        consumerGroup: group,
        readTopic,
        topic: req.topic,
        queueId,
        startOffset: offset,
        popTime,
        invisibleTime: req.invisibleTimeMs,
        reviveQid,
        offsets: r.messages.map((m) => m.queueOffset),
        commitLogOffsets: r.messages.map((m) => m.commitLogOffset),
        nextOffset: r.nextBeginOffset,
        acked: new Set(),
        reviveOffset: -1,
      };
      await this.writeCheckpoint(ck);
      deps.offsets.commit(
        group,
        readTopic,
        queueId,
        Math.max(r.nextBeginOffset, deps.offsets.query(group, readTopic, queueId)),
      );

      const topicType = topicTypeOf(readTopic);
      const messages = r.messages.map((m): PoppedMessage => {
        const handle = encodeReceiptHandle({
          startOffset: ck.startOffset,
          popTime,
          invisibleTime: ck.invisibleTime,
          reviveQid,
          topicType,
          brokerName: deps.config.brokerName,
          queueId,
          queueOffset: m.queueOffset,
          commitLogOffset: m.commitLogOffset,
        });
        const properties: Record<string, string> = {
          ...m.properties,
          [MessageConst.PROPERTY_POP_CK]: handle,
        };
        if (properties[MessageConst.PROPERTY_FIRST_POP_TIME] === undefined)
          properties[MessageConst.PROPERTY_FIRST_POP_TIME] = String(popTime);
        return { ...m, topic: req.topic, properties, receiptHandle: handle };
      });
      return { messages, restNum };
    } finally {
      this.busy.delete(lockKey);
    }
  }

  async ack(req: AckRequest): Promise<void> {
    const { ck, handle } = this.lookup(req);
    if (handle.reviveQid === POP_ORDER_REVIVE_QUEUE) {
      this.orderly.ack(req.consumerGroup, req.topic, handle.queueId, handle.queueOffset);
      return;
    }
    if (!ck) return; // already fully acked or revived: acking again is harmless
    if (!ck.offsets.includes(handle.queueOffset)) throw notInCheckpoint(handle.queueOffset);
    await this.ackOffset(ck, handle.queueOffset);
  }

  /**
   * Acks several handles: memory is marked per handle, then one record per checkpoint is appended (`bAck` for
   * more than one offset), the appends running together. A refused handle gets its own error; the rest go on.
   */
  async ackBatch(req: AckBatchRequest): Promise<AckBatchResult> {
    validateGroup(req.consumerGroup);
    validateTopic(req.topic);
    const results: AckBatchResult = new Array(req.receiptHandles.length).fill(undefined);
    const byCk = new Map<Checkpoint, { offsets: number[]; entries: number[] }>();
    // Handles of one checkpoint share their first seven fields: those are decoded and looked up once.
    const heads = new Map<string, { ck: Checkpoint | undefined; handle: ReceiptHandle }>();
    req.receiptHandles.forEach((receiptHandle, i) => {
      try {
        const at = queueOffsetFieldAt(receiptHandle);
        const head = at > 0 ? heads.get(receiptHandle.slice(0, at)) : undefined;
        const rest = head && decodeReceiptHandleRest(receiptHandle, at, head.handle);
        const { ck, handle } = rest
          ? { ck: head.ck, handle: rest }
          : this.lookupHandle(req.consumerGroup, req.topic, receiptHandle);
        if (!rest && at > 0) heads.set(receiptHandle.slice(0, at), { ck, handle });
        if (handle.reviveQid === POP_ORDER_REVIVE_QUEUE) {
          this.orderly.ack(req.consumerGroup, req.topic, handle.queueId, handle.queueOffset);
          return;
        }
        if (!ck) return; // already fully acked or revived: harmless, as for a single ack
        const offset = handle.queueOffset;
        if (!ck.offsets.includes(offset)) throw notInCheckpoint(offset);
        if (ck.acked.has(offset)) return;
        ck.acked.add(offset);
        if (ck.acked.size === ck.offsets.length) this.pending.delete(keyOf(ck));
        const group = byCk.get(ck);
        if (group) {
          group.offsets.push(offset);
          group.entries.push(i);
        } else byCk.set(ck, { offsets: [offset], entries: [i] });
      } catch (err) {
        results[i] = MqError.from(err);
      }
    });
    const writes = [...byCk].map(async ([ck, { offsets, entries }]) => {
      try {
        if (offsets.length === 1) await this.append(ck.reviveQid, ACK_TAG, encodeAck(ck, offsets[0]));
        else await this.append(ck.reviveQid, BATCH_ACK_TAG, encodeBatchAck(ck, offsets));
      } catch (err) {
        const e = MqError.from(err);
        for (const i of entries) results[i] = e;
      }
    });
    await Promise.all(writes);
    return results;
  }

  async changeInvisibleTime(req: ChangeInvisibleTimeRequest): Promise<ChangeInvisibleTimeResult> {
    if (!Number.isSafeInteger(req.invisibleTimeMs) || req.invisibleTimeMs <= 0)
      throw new MqError(ResponseCode.INVALID_PARAMETER, `invisibleTime ${req.invisibleTimeMs} is illegal`);
    const { ck, handle } = this.lookup(req);
    const offset = handle.queueOffset;
    if (handle.reviveQid === POP_ORDER_REVIVE_QUEUE) {
      if (!this.orderly.inFlight(req.consumerGroup, req.topic, handle.queueId, offset))
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          "the receipt handle is no longer valid: its message was acked or its invisible time expired",
        );
      const popTime = this.orderly.changeInvisibleTime(
        req.consumerGroup,
        req.topic,
        handle.queueId,
        req.invisibleTimeMs,
      );
      const receiptHandle = encodeReceiptHandle({ ...handle, popTime, invisibleTime: req.invisibleTimeMs });
      return {
        receiptHandle,
        popTime,
        invisibleTime: req.invisibleTimeMs,
        reviveQid: POP_ORDER_REVIVE_QUEUE,
      };
    }
    const index = ck ? ck.offsets.indexOf(offset) : -1;
    if (!ck || index < 0 || ck.acked.has(offset))
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        "the receipt handle is no longer valid: its message was acked or its invisible time expired",
      );
    // New checkpoint first, then the ack of the old one: a crash in between redelivers, never loses.
    let popTime = this.deps.clock();
    while (this.pending.has(checkpointKey(ck.consumerGroup, ck.readTopic, ck.queueId, offset, popTime)))
      popTime++;
    const next: Checkpoint = {
      ...ck,
      startOffset: offset,
      popTime,
      invisibleTime: req.invisibleTimeMs,
      offsets: [offset],
      commitLogOffsets: [ck.commitLogOffsets[index]!],
      nextOffset: offset + 1,
      acked: new Set(),
      reviveOffset: -1,
    };
    await this.writeCheckpoint(next);
    await this.ackOffset(ck, offset);
    const receiptHandle = encodeReceiptHandle({
      ...handle,
      startOffset: offset,
      popTime,
      invisibleTime: req.invisibleTimeMs,
      reviveQid: next.reviveQid,
    });
    return { receiptHandle, popTime, invisibleTime: req.invisibleTimeMs, reviveQid: next.reviveQid };
  }

  /** Sends a popped message to %DLQ%group at once and acks it. */
  async forwardToDeadLetterQueue(req: AckRequest): Promise<void> {
    const { ck, handle } = this.lookup(req);
    if (handle.reviveQid === POP_ORDER_REVIVE_QUEUE) {
      if (!this.orderly.inFlight(req.consumerGroup, req.topic, handle.queueId, handle.queueOffset))
        throw new MqError(
          ResponseCode.INVALID_PARAMETER,
          "the receipt handle is no longer valid: its message was acked or its invisible time expired",
        );
      const msg =
        handle.commitLogOffset >= 0
          ? this.deps.store.lookMessageByOffset(handle.commitLogOffset)
          : (
              await this.deps.store.getMessages({
                topic: req.topic,
                queueId: handle.queueId,
                queueOffset: handle.queueOffset,
                maxCount: 1,
              })
            ).messages[0];
      if (msg) await this.putDlq(req.consumerGroup, req.topic, msg);
      this.orderly.ack(req.consumerGroup, req.topic, handle.queueId, handle.queueOffset);
      return;
    }
    if (!ck?.offsets.includes(handle.queueOffset) || ck.acked.has(handle.queueOffset))
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        "the receipt handle is no longer valid: its message was acked or its invisible time expired",
      );
    const msg = await this.deps.store.lookMessageByOffset(
      ck.commitLogOffsets[ck.offsets.indexOf(handle.queueOffset)]!,
    );
    if (msg) await this.putDlq(ck.consumerGroup, ck.topic, msg);
    await this.ackOffset(ck, handle.queueOffset);
  }

  /**
   * Revives every checkpoint whose invisible time has passed: its unacked messages go to the pop retry topic (or
   * the DLQ), then a `done` record closes it. Returns how many messages were revived. Runs on the timer; tests
   * with an injected clock call it directly.
   */
  revive(): Promise<number> {
    if (this.reviving) return this.reviving;
    const run = this.reviveDue().finally(() => {
      this.reviving = undefined;
    });
    this.reviving = run;
    return run;
  }

  private async reviveDue(): Promise<number> {
    const now = this.deps.clock();
    let revived = 0;
    const due = [...this.pending.values()]
      .filter((ck) => ck.reviveOffset >= 0 && ck.popTime + ck.invisibleTime <= now)
      .sort((a, b) => a.popTime + a.invisibleTime - (b.popTime + b.invisibleTime));
    for (const ck of due) {
      if (this.closed) break;
      for (let i = 0; i < ck.offsets.length; i++) {
        if (ck.acked.has(ck.offsets[i]!)) continue;
        const msg = await this.deps.store.lookMessageByOffset(ck.commitLogOffsets[i]!);
        if (!msg) continue; // deleted by retention: nothing left to redeliver
        await this.reviveMessage(ck, msg);
        revived++;
      }
      await this.append(ck.reviveQid, DONE_TAG, encodeAck(ck));
      this.pending.delete(keyOf(ck));
    }
    this.updateWatermarks();
    return revived;
  }

  private async reviveMessage(ck: Checkpoint, msg: MessageExt): Promise<void> {
    const group = this.deps.groups.get(ck.consumerGroup);
    const max = group?.retryMaxTimes ?? 16;
    const reconsumeTimes = msg.reconsumeTimes + 1;
    if (reconsumeTimes > max) {
      await this.putDlq(ck.consumerGroup, ck.topic, msg);
      return;
    }
    const retryTopic = buildPopRetryTopic(ck.topic, ck.consumerGroup);
    ensureInnerTopic(this.deps, retryTopic, 1);
    const properties = { ...msg.properties };
    delete properties[MessageConst.PROPERTY_POP_CK];
    if (properties[MessageConst.PROPERTY_RETRY_TOPIC] === undefined)
      properties[MessageConst.PROPERTY_RETRY_TOPIC] = ck.topic;
    if (properties[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] === undefined)
      properties[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] = msg.msgId;
    await this.deps.store.putMessage(reputInput(msg, retryTopic, 0, properties, reconsumeTimes));
  }

  private async putDlq(group: string, topic: string, msg: MessageExt): Promise<void> {
    const dlq = getDLQTopic(group);
    ensureInnerTopic(this.deps, dlq, 1, PERM_READ | PERM_WRITE);
    await this.deps.store.putMessage(
      reputInput(msg, dlq, 0, dlqProperties(msg, topic), msg.reconsumeTimes + 1),
    );
  }

  private lookup(req: AckRequest): { ck: Checkpoint | undefined; handle: ReceiptHandle } {
    validateGroup(req.consumerGroup);
    validateTopic(req.topic);
    return this.lookupHandle(req.consumerGroup, req.topic, req.receiptHandle);
  }

  private lookupHandle(
    consumerGroup: string,
    topic: string,
    receiptHandle: string,
  ): { ck: Checkpoint | undefined; handle: ReceiptHandle } {
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle.brokerName !== this.deps.config.brokerName)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `the receipt handle belongs to broker ${handle.brokerName}, not ${this.deps.config.brokerName}`,
      );
    const readTopic = realTopicOf(handle, topic, consumerGroup);
    const key = checkpointKey(consumerGroup, readTopic, handle.queueId, handle.startOffset, handle.popTime);
    return { ck: this.pending.get(key), handle };
  }

  private async ackOffset(ck: Checkpoint, offset: number): Promise<void> {
    if (ck.acked.has(offset)) return;
    ck.acked.add(offset);
    if (ck.acked.size === ck.offsets.length) this.pending.delete(keyOf(ck));
    await this.append(ck.reviveQid, ACK_TAG, encodeAck(ck, offset));
  }

  private async writeCheckpoint(ck: Checkpoint): Promise<void> {
    this.ckWritesInFlight++;
    try {
      this.pending.set(keyOf(ck), ck);
      try {
        ck.reviveOffset = await this.append(ck.reviveQid, CK_TAG, encodeCheckpoint(ck));
      } catch (err) {
        this.pending.delete(keyOf(ck));
        throw err;
      }
    } finally {
      this.ckWritesInFlight--;
    }
  }

  private async append(reviveQid: number, tag: string, body: Uint8Array): Promise<number> {
    const r = await this.deps.store.putMessage({
      topic: this.reviveTopic,
      queueId: reviveQid,
      body,
      properties: { [MessageConst.PROPERTY_TAGS]: tag },
    });
    return r.queueOffset;
  }

  /** Replays the revive log from each queue's watermark: ck adds, ack marks, done removes. */
  private async recover(): Promise<void> {
    const { store, offsets, config } = this.deps;
    for (let q = 0; q < config.reviveQueueNum; q++) {
      const max = store.getMaxOffsetInQueue(this.reviveTopic, q);
      let offset = Math.max(
        store.getMinOffsetInQueue(this.reviveTopic, q),
        Math.min(offsets.query(CID_RMQ_SYS_REVIVE_GROUP, this.reviveTopic, q), max),
      );
      while (offset < max) {
        const r = await store.getMessages({
          topic: this.reviveTopic,
          queueId: q,
          queueOffset: offset,
          maxCount: 512,
        });
        for (const m of r.messages) this.replay(m);
        if (r.nextBeginOffset <= offset) break;
        offset = r.nextBeginOffset;
      }
    }
    this.updateWatermarks();
  }

  private replay(m: MessageExt): void {
    try {
      const tag = m.properties[MessageConst.PROPERTY_TAGS];
      if (tag === CK_TAG) {
        const ck = decodeCheckpoint(m.body, m.queueOffset);
        this.pending.set(keyOf(ck), ck);
        const { offsets } = this.deps;
        if (offsets.query(ck.consumerGroup, ck.readTopic, ck.queueId) < ck.nextOffset)
          offsets.commit(ck.consumerGroup, ck.readTopic, ck.queueId, ck.nextOffset);
        return;
      }
      const { key, ackOffset, ackOffsets } = decodeAck(m.body);
      const ck = this.pending.get(key);
      if (!ck) return;
      if (tag === DONE_TAG) {
        this.pending.delete(key);
      } else if (tag === ACK_TAG && ackOffset !== undefined) {
        ck.acked.add(ackOffset);
        if (ck.acked.size >= ck.offsets.length) this.pending.delete(key);
      } else if (tag === BATCH_ACK_TAG && ackOffsets !== undefined) {
        for (const o of ackOffsets) ck.acked.add(o);
        if (ck.acked.size >= ck.offsets.length) this.pending.delete(key);
      }
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  /** Records, per revive queue, where a restart must start replaying: the oldest record still needed. */
  private updateWatermarks(): void {
    if (this.ckWritesInFlight > 0) return; // a ck being written has no offset yet
    const { store, offsets, config } = this.deps;
    const low = new Map<number, number>();
    for (const ck of this.pending.values()) {
      const prev = low.get(ck.reviveQid);
      if (prev === undefined || ck.reviveOffset < prev) low.set(ck.reviveQid, ck.reviveOffset);
    }
    for (let q = 0; q < config.reviveQueueNum; q++) {
      const mark = low.get(q) ?? store.getMaxOffsetInQueue(this.reviveTopic, q);
      offsets.commit(CID_RMQ_SYS_REVIVE_GROUP, this.reviveTopic, q, mark);
    }
  }
}
