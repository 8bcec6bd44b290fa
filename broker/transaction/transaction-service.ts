import { MqError } from "../../proto/error.ts";
import {
  MessageConst,
  type MessageExt,
  MessageSysFlag,
  resetTransactionValue,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { EndTransactionRequest, TransactionCheck } from "../broker-api.ts";
import type { ConsumerOffsetTable } from "../consumer-offset.ts";
import { ensureInnerTopic, type TopicCreation } from "../inner-topics.ts";
import { reputInput } from "../retry.ts";
import type { MessageInput, MessageStore, PutResult } from "../store/index.ts";
import { PERM_READ, PERM_WRITE } from "../topic-config.ts";
import {
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  RMQ_SYS_TRANS_HALF_TOPIC,
  RMQ_SYS_TRANS_OP_HALF_TOPIC,
} from "../topic-validator.ts";

/** TransactionalMessageUtil.REMOVE_TAG: the tag of op records. */
const OP_TAG = "d";
/** Group whose "consumer offset" on the half topic is where recovery starts (CID_RMQ_SYS_TRANS). */
export const CID_RMQ_SYS_TRANS = "CID_RMQ_SYS_TRANS";

export interface TransactionConfig {
  /** ms before a half message is first checked (transactionTimeOut). */
  transactionTimeOut: number;
  /** Checks before a half message is given up and moved to TRANS_CHECK_MAX_TIME_TOPIC (transactionCheckMax). */
  transactionCheckMax: number;
  /** ms between checks of one half message, and the period of the check scan (transactionCheckInterval). */
  transactionCheckInterval: number;
  /** 0 = no timer (tests call `check()`). */
  checkTimerMs: number;
}

export interface TransactionDeps extends TopicCreation {
  store: MessageStore;
  offsets: ConsumerOffsetTable;
  clock: () => number;
  config: TransactionConfig;
  /**
   * Asks a producer of `check.producerGroup` to resolve a half message; true if one was asked. The broker's
   * remoting side sends CHECK_TRANSACTION_STATE; in-process listeners (a Local-mode proxy) are asked too.
   */
  askProducer: (check: TransactionCheck) => boolean;
  onError?: (err: unknown) => void;
}

interface PendingHalf {
  queueOffset: number;
  commitLogOffset: number;
  producerGroup: string;
  storeTimestamp: number;
  /** CHECK_IMMUNITY_TIME_IN_SECONDS, in ms, when the producer set it. */
  firstCheckAfter: number;
  checks: number;
  nextCheckAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Transactional messages (RocketMQ's TransactionalMessageService): a half message is stored in
 * RMQ_SYS_TRANS_HALF_TOPIC (invisible to consumers) with its REAL_TOPIC/REAL_QID; END_TRANSACTION commits it (re-put
 * to the real topic) or rolls it back, and writes an op record (tag `d`, body = the half's queue offset) to
 * RMQ_SYS_TRANS_OP_HALF_TOPIC. Half messages still open after transactionTimeOut are checked with the producer
 * group; after transactionCheckMax checks they go to TRANS_CHECK_MAX_TIME_TOPIC. See README.md.
 */
export class TransactionService {
  private readonly pending = new Map<number, PendingHalf>();
  private timer?: ReturnType<typeof setInterval>;
  private checking?: Promise<number>;
  private halvesInFlight = 0;

  constructor(private readonly deps: TransactionDeps) {}

  /** Creates the system topics and rebuilds the open half messages from the half and op topics. */
  async start(): Promise<void> {
    const rw = PERM_READ | PERM_WRITE;
    ensureInnerTopic(this.deps, RMQ_SYS_TRANS_HALF_TOPIC, 1, rw);
    ensureInnerTopic(this.deps, RMQ_SYS_TRANS_OP_HALF_TOPIC, 1, rw);
    await this.recover();
    if (this.deps.config.checkTimerMs > 0)
      this.timer = setInterval(() => {
        this.check().catch((err) => this.deps.onError?.(err));
      }, this.deps.config.checkTimerMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking?.catch(() => 0);
    this.updateWatermark();
  }

  get openCount(): number {
    return this.pending.size;
  }

  /** The half-topic form of a PREPARED message (TransactionalMessageBridge.parseHalfMessageInner). */
  halfInput(input: MessageInput, producerGroup: string | undefined): MessageInput {
    const properties: Record<string, string> = { ...(input.properties ?? {}) };
    properties[MessageConst.PROPERTY_REAL_TOPIC] = input.topic;
    properties[MessageConst.PROPERTY_REAL_QUEUE_ID] = String(input.queueId);
    properties[MessageConst.PROPERTY_TRANSACTION_PREPARED] = "true";
    if (producerGroup && properties[MessageConst.PROPERTY_PRODUCER_GROUP] === undefined)
      properties[MessageConst.PROPERTY_PRODUCER_GROUP] = producerGroup;
    return {
      ...input,
      topic: RMQ_SYS_TRANS_HALF_TOPIC,
      queueId: 0,
      properties,
      sysFlag: resetTransactionValue(input.sysFlag ?? 0, MessageSysFlag.TRANSACTION_NOT_TYPE),
    };
  }

  /** Stores a half message and starts tracking it. */
  async putHalf(input: MessageInput, producerGroup: string | undefined): Promise<PutResult> {
    const half = this.halfInput(input, producerGroup);
    this.halvesInFlight++;
    try {
      const r = await this.deps.store.putMessage(half);
      this.track(r.queueOffset, r.commitLogOffset, r.storeTimestamp, half.properties ?? {});
      return r;
    } finally {
      this.halvesInFlight--;
    }
  }

  async endTransaction(req: EndTransactionRequest): Promise<void> {
    if (req.commitOrRollback === "UNKNOWN") return; // the producer does not know yet: keep checking
    if (!Number.isSafeInteger(req.commitLogOffset) || req.commitLogOffset < 0)
      throw new MqError(ResponseCode.INVALID_PARAMETER, `illegal commitLogOffset ${req.commitLogOffset}`);
    const half = this.deps.store.lookMessageByOffset(req.commitLogOffset);
    if (!half || half.topic !== RMQ_SYS_TRANS_HALF_TOPIC)
      throw new MqError(ResponseCode.SYSTEM_ERROR, "Find prepared transaction message failed");
    if (req.tranStateTableOffset !== undefined && req.tranStateTableOffset !== half.queueOffset)
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `tranStateTableOffset ${req.tranStateTableOffset} does not match the half message (${half.queueOffset})`,
      );
    const group = half.properties[MessageConst.PROPERTY_PRODUCER_GROUP];
    if (group !== undefined && req.producerGroup && group !== req.producerGroup)
      throw new MqError(
        ResponseCode.TRANSACTION_STATE_GROUP_WRONG,
        `the half message belongs to producer group ${group}, not ${req.producerGroup}`,
      );
    // Resolved already (a retried END_TRANSACTION, or a check answered twice): nothing more to do.
    if (!this.pending.has(half.queueOffset)) return;
    if (req.commitOrRollback === "COMMIT") await this.deps.store.putMessage(this.committed(half));
    await this.resolve(half.queueOffset);
  }

  /** Checks the open half messages that are due; returns how many producers were asked. */
  check(): Promise<number> {
    if (this.checking) return this.checking;
    const run = this.checkDue().finally(() => {
      this.checking = undefined;
    });
    this.checking = run;
    return run;
  }

  private async checkDue(): Promise<number> {
    const now = this.deps.clock();
    const { config } = this.deps;
    let asked = 0;
    for (const p of [...this.pending.values()]) {
      if (now - p.storeTimestamp < Math.max(config.transactionTimeOut, p.firstCheckAfter)) continue;
      if (now < p.nextCheckAt) continue;
      const half = this.deps.store.lookMessageByOffset(p.commitLogOffset);
      if (!half) {
        this.pending.delete(p.queueOffset); // removed by retention: nothing left to resolve
        continue;
      }
      if (p.checks >= config.transactionCheckMax) {
        ensureInnerTopic(this.deps, RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC, 1, PERM_READ | PERM_WRITE);
        await this.deps.store.putMessage(
          reputInput(
            half,
            RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
            0,
            { ...half.properties },
            half.reconsumeTimes,
          ),
        );
        await this.resolve(p.queueOffset);
        continue;
      }
      p.checks++;
      p.nextCheckAt = now + config.transactionCheckInterval;
      const message = this.asReal(half, p.checks);
      const uniqKey = half.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? half.msgId;
      const askedOne = this.deps.askProducer({
        producerGroup: p.producerGroup,
        transactionId: half.properties[MessageConst.PROPERTY_TRANSACTION_ID] ?? uniqKey,
        tranStateTableOffset: p.queueOffset,
        commitLogOffset: p.commitLogOffset,
        message,
      });
      if (askedOne) asked++;
    }
    this.updateWatermark();
    return asked;
  }

  /** The half message as its producer sees it: real topic and queue, current check count. */
  private asReal(half: MessageExt, checks: number): MessageExt {
    const properties: Record<string, string> = {
      ...half.properties,
      [MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES]: String(checks),
    };
    return {
      ...half,
      topic: properties[MessageConst.PROPERTY_REAL_TOPIC] ?? half.topic,
      queueId: Number(properties[MessageConst.PROPERTY_REAL_QUEUE_ID] ?? half.queueId),
      properties,
    };
  }

  /** The committed message: real topic and queue, COMMIT type (EndTransactionProcessor.endMessageTransaction). */
  private committed(half: MessageExt): MessageInput {
    const properties = { ...half.properties };
    const topic = properties[MessageConst.PROPERTY_REAL_TOPIC];
    const queueId = Number.parseInt(properties[MessageConst.PROPERTY_REAL_QUEUE_ID] ?? "", 10);
    if (!topic || !Number.isInteger(queueId) || queueId < 0)
      throw new MqError(ResponseCode.SYSTEM_ERROR, "the half message has no REAL_TOPIC/REAL_QID");
    properties[MessageConst.PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET] = String(half.queueOffset);
    delete properties[MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES];
    return {
      ...reputInput(half, topic, queueId, properties, half.reconsumeTimes),
      sysFlag: resetTransactionValue(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE),
      preparedTransactionOffset: half.commitLogOffset,
    };
  }

  private async resolve(halfQueueOffset: number): Promise<void> {
    this.pending.delete(halfQueueOffset);
    await this.deps.store.putMessage({
      topic: RMQ_SYS_TRANS_OP_HALF_TOPIC,
      queueId: 0,
      body: enc.encode(String(halfQueueOffset)),
      properties: { [MessageConst.PROPERTY_TAGS]: OP_TAG },
    });
  }

  private track(
    queueOffset: number,
    commitLogOffset: number,
    storeTimestamp: number,
    properties: Readonly<Record<string, string>>,
  ): void {
    const immunity = Number.parseInt(
      properties[MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS] ?? "",
      10,
    );
    this.pending.set(queueOffset, {
      queueOffset,
      commitLogOffset,
      producerGroup: properties[MessageConst.PROPERTY_PRODUCER_GROUP] ?? "",
      storeTimestamp,
      firstCheckAfter: Number.isFinite(immunity) && immunity > 0 ? immunity * 1000 : 0,
      checks: 0,
      nextCheckAt: 0,
    });
  }

  /** Op records name resolved half offsets; every half at or after the watermark without one is open. */
  private async recover(): Promise<void> {
    const { store, offsets } = this.deps;
    const resolved = new Set<number>();
    for await (const m of this.scan(
      RMQ_SYS_TRANS_OP_HALF_TOPIC,
      store.getMinOffsetInQueue(RMQ_SYS_TRANS_OP_HALF_TOPIC, 0),
    )) {
      const n = Number(dec.decode(m.body));
      if (Number.isSafeInteger(n)) resolved.add(n);
    }
    const max = store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, 0);
    const from = Math.max(
      store.getMinOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, 0),
      Math.min(offsets.query(CID_RMQ_SYS_TRANS, RMQ_SYS_TRANS_HALF_TOPIC, 0), max),
    );
    for await (const m of this.scan(RMQ_SYS_TRANS_HALF_TOPIC, from))
      if (!resolved.has(m.queueOffset))
        this.track(m.queueOffset, m.commitLogOffset, m.storeTimestamp, m.properties);
    this.updateWatermark();
  }

  private async *scan(topic: string, from: number): AsyncGenerator<MessageExt> {
    const { store } = this.deps;
    let offset = from;
    const max = store.getMaxOffsetInQueue(topic, 0);
    while (offset < max) {
      const r = await store.getMessages({ topic, queueId: 0, queueOffset: offset, maxCount: 512 });
      yield* r.messages;
      if (r.nextBeginOffset <= offset) break;
      offset = r.nextBeginOffset;
    }
  }

  /** Where recovery starts next time: the oldest open half message (or the queue's end). */
  private updateWatermark(): void {
    if (this.halvesInFlight > 0) return; // a half being written has no offset yet
    let low = this.deps.store.getMaxOffsetInQueue(RMQ_SYS_TRANS_HALF_TOPIC, 0);
    for (const offset of this.pending.keys()) if (offset < low) low = offset;
    this.deps.offsets.commit(CID_RMQ_SYS_TRANS, RMQ_SYS_TRANS_HALF_TOPIC, 0, low);
  }
}
