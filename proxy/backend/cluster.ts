import type { Logger } from "../../config/index.ts";
import { MqError } from "../../proto/error.ts";
import {
  decodeMessageRecord,
  decodeOffsetMessageId,
  encodeMessageProperties,
  MessageConst,
  MessageSysFlag,
} from "../../proto/message/index.ts";
import {
  createRemotingClient,
  createRequest,
  createResponse,
  decodeBatchAckFailures,
  decodeJsonBody,
  encodeJsonBody,
  ensureResponseCode,
  type HeaderValues,
  type RemotingClient,
  readHeader,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type {
  AckBatchRequest,
  AckRequest,
  Backend,
  ChangeInvisibleTimeRequest,
  ClientRegistration,
  ConsumerGroupInfo,
  DeadLetterRequest,
  EndTransactionRequest,
  FilterSpec,
  MessageToSend,
  PopRequest,
  PopResult,
  PullRequest,
  PullResult,
  QueueRef,
  SendResult,
  SendStatus,
  TopicMessageType,
  TopicRoute,
  TransactionCheck,
} from "./backend.ts";
import { planBatchAck } from "./batch-ack-body.ts";
import { decodeMessageRecords, withReceiptHandles } from "./pop-response.ts";
import { RouteCache } from "./route-cache.ts";
import { decodeTransactionToken, encodeTransactionToken } from "./transaction-token.ts";

/**
 * Cluster mode: the Backend over RocketMQ remoting. Routes come from the nameserver (RouteCache), every call
 * goes to the master of the broker it names over one shared connection per broker (RemotingClient), with the
 * request codes a RocketMQ 5 proxy uses (SEND_MESSAGE_V2, POP_MESSAGE, ACK_MESSAGE,
 * CHANGE_MESSAGE_INVISIBLETIME, PULL_MESSAGE, offsets, END_TRANSACTION). Brokers push CHECK_TRANSACTION_STATE
 * back on the same connections, for the producers this proxy registered with HEART_BEAT.
 */
export interface ClusterBackendOptions {
  /** Nameserver addresses, ';'-separated as in namesrvAddr. */
  namesrvAddr: string;
  routeRefreshIntervalMillis: number;
  requestTimeoutMillis: number;
  /**
   * How often every registered client is re-announced to every master (HEART_BEAT). A broker that restarted
   * forgets its producers, and transaction check-backs need one; waiting for the SDK's own 10 s heartbeat
   * would stall them. Defaults to 5000.
   */
  brokerHeartbeatIntervalMillis?: number;
  logger: Logger;
  now?: () => number;
}

export const defaultClusterBackendTiming = Object.freeze({
  routeRefreshIntervalMillis: 20_000,
  requestTimeoutMillis: 3000,
});

const MESSAGE_TYPES: readonly TopicMessageType[] = ["NORMAL", "FIFO", "DELAY", "TRANSACTION", "MIXED"];

const sendStatusOf: Record<number, SendStatus> = {
  [ResponseCode.SUCCESS]: "SEND_OK",
  [ResponseCode.FLUSH_DISK_TIMEOUT]: "FLUSH_DISK_TIMEOUT",
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: "FLUSH_SLAVE_TIMEOUT",
  [ResponseCode.SLAVE_NOT_AVAILABLE]: "SLAVE_NOT_AVAILABLE",
};

// Pull sysFlag bits (PullSysFlag).
const PULL_SUSPEND = 0x2;
const PULL_SUBSCRIPTION = 0x4;

/** The handle fields ack and change-invisible-time put in their headers. */
function handleFields(receiptHandle: string) {
  const p = receiptHandle.split(" ");
  const queueId = Number(p[6]);
  const offset = Number(p[7]);
  if (p.length < 8 || !Number.isSafeInteger(queueId) || !Number.isSafeInteger(offset))
    throw new MqError(ResponseCode.INVALID_PARAMETER, "malformed receipt handle");
  return { queueId, offset, topicType: p[4], commitLogOffset: p.length > 8 ? Number(p[8]) : -1 };
}

export class ClusterBackend implements Backend {
  readonly #client: RemotingClient;
  readonly #routes: RouteCache;
  readonly #options: ClusterBackendOptions;
  readonly #now: () => number;
  readonly #messageTypes = new Map<string, { type: TopicMessageType; at: number }>();
  readonly #groups = new Map<string, { info: ConsumerGroupInfo; at: number }>();
  readonly #clients = new Map<string, ClientRegistration>();
  readonly #listeners = new Set<(check: TransactionCheck) => void>();
  readonly #heartbeatTimer: ReturnType<typeof setInterval>;

  constructor(options: ClusterBackendOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#client = createRemotingClient({
      requestTimeoutMs: options.requestTimeoutMillis,
      onError: (err, addr) => options.logger.warn({ err, addr }, "remoting error"),
    });
    this.#client.handle(RequestCode.CHECK_TRANSACTION_STATE, (cmd, ctx) => {
      this.#onCheckTransaction(cmd.extFields, cmd.body, ctx.remoteAddress);
      return createResponse(cmd, ResponseCode.SUCCESS);
    });
    this.#heartbeatTimer = setInterval(() => {
      for (const registration of this.#clients.values()) void this.#heartbeat(registration);
    }, options.brokerHeartbeatIntervalMillis ?? 5000);
    this.#heartbeatTimer.unref?.();
    this.#routes = new RouteCache({
      client: this.#client,
      namesrvAddrs: options.namesrvAddr
        .split(";")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
      refreshIntervalMillis: options.routeRefreshIntervalMillis,
      requestTimeoutMillis: options.requestTimeoutMillis,
      logger: options.logger,
    });
  }

  async #invoke(
    brokerName: string,
    topicHint: string | undefined,
    code: number,
    header: HeaderValues,
    body?: Uint8Array,
    timeoutMs = this.#options.requestTimeoutMillis,
  ) {
    const addr = await this.#routes.masterAddr(brokerName, topicHint);
    return this.#client.invoke(addr, createRequest(code, header, body), timeoutMs);
  }

  async getTopicRoute(topic: string): Promise<TopicRoute> {
    const route = await this.#routes.get(topic);
    if (route.queueDatas.length === 0)
      throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `no route for topic ${topic}`);
    return {
      topic,
      messageType: await this.#messageType(topic, route.queueDatas[0].brokerName),
      queueDatas: route.queueDatas.map((q) => ({
        brokerName: q.brokerName,
        readQueueNums: q.readQueueNums,
        writeQueueNums: q.writeQueueNums,
        perm: q.perm,
      })),
    };
  }

  /** The topic's `message.type` attribute, asked of a broker holding it (GET_TOPIC_CONFIG) and cached. */
  async #messageType(topic: string, brokerName: string): Promise<TopicMessageType> {
    const cached = this.#messageTypes.get(topic);
    if (cached && this.#now() - cached.at < this.#options.routeRefreshIntervalMillis) return cached.type;
    let type: TopicMessageType = "NORMAL";
    try {
      const res = ensureResponseCode(
        await this.#invoke(brokerName, topic, RequestCode.GET_TOPIC_CONFIG, { topic }),
      );
      // RocketMQ answers a TopicConfigAndQueueMapping (flat); some brokers wrap it as { topicConfig }.
      const body = decodeJsonBody(res.body, "TopicConfig") as {
        attributes?: Record<string, string>;
        topicConfig?: { attributes?: Record<string, string> };
      };
      const attributes = body?.attributes ?? body?.topicConfig?.attributes;
      const declared = attributes?.["message.type"] as TopicMessageType | undefined;
      if (declared && MESSAGE_TYPES.includes(declared)) type = declared;
    } catch (err) {
      this.#options.logger.debug({ err, topic }, "topic config unavailable; assuming NORMAL");
    }
    this.#messageTypes.set(topic, { type, at: this.#now() });
    return type;
  }

  /** CHECK_CLIENT_CONFIG to a master holding the topic, as a Java push consumer does for SQL92 at start. */
  async checkSubscription(consumerGroup: string, topic: string, filter: FilterSpec): Promise<void> {
    const route = await this.#routes.get(topic);
    const brokerName = route.queueDatas[0]?.brokerName;
    if (brokerName === undefined)
      throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `no route for topic ${topic}`);
    const body = new TextEncoder().encode(
      JSON.stringify({
        clientId: "",
        group: consumerGroup,
        subscriptionData: { topic, subString: filter.expression, expressionType: filter.expressionType },
      }),
    );
    ensureResponseCode(await this.#invoke(brokerName, topic, RequestCode.CHECK_CLIENT_CONFIG, {}, body));
  }

  async getConsumerGroup(consumerGroup: string): Promise<ConsumerGroupInfo> {
    const cached = this.#groups.get(consumerGroup);
    if (cached && this.#now() - cached.at < this.#options.routeRefreshIntervalMillis) return cached.info;
    let info: ConsumerGroupInfo = { consumerGroup, consumeMessageOrderly: false, retryMaxTimes: 16 };
    // Any master knows the group when groups are created cluster-wide; an unknown group keeps the defaults and
    // is auto-created (or refused) by the broker on first pop.
    for (const [brokerName] of this.#routes.masters()) {
      try {
        const res = await this.#invoke(brokerName, undefined, RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, {
          group: consumerGroup,
        });
        if (res.code !== ResponseCode.SUCCESS) continue;
        const body = decodeJsonBody(res.body, "SubscriptionGroupConfig") as Partial<{
          consumeMessageOrderly: boolean;
          retryMaxTimes: number;
        }>;
        info = {
          consumerGroup,
          consumeMessageOrderly: body?.consumeMessageOrderly === true,
          retryMaxTimes: Number(body?.retryMaxTimes ?? 16),
        };
        break;
      } catch (err) {
        this.#options.logger.debug({ err, consumerGroup }, "group config unavailable");
      }
    }
    this.#groups.set(consumerGroup, { info, at: this.#now() });
    return info;
  }

  async sendMessage(brokerName: string, message: MessageToSend): Promise<SendResult> {
    const prepared = message.properties[MessageConst.PROPERTY_TRANSACTION_PREPARED] === "true";
    const res = await this.#invoke(
      brokerName,
      message.topic,
      RequestCode.SEND_MESSAGE_V2,
      {
        a: message.properties[MessageConst.PROPERTY_PRODUCER_GROUP] ?? message.topic,
        b: message.topic,
        c: "TBW102",
        d: 4,
        e: message.queueId,
        f: prepared ? MessageSysFlag.TRANSACTION_PREPARED_TYPE : 0,
        g: message.bornTimestamp,
        h: message.flag,
        i: encodeMessageProperties(message.properties),
        j: 0,
        k: false,
        m: false,
        n: brokerName,
      },
      message.body,
    );
    const sendStatus = sendStatusOf[res.code];
    if (!sendStatus) ensureResponseCode(res);
    const h = readHeader(res, {
      msgId: "string",
      queueId: "int",
      queueOffset: "long",
      transactionId: "string?",
      recallHandle: "string?",
    });
    const uniqKey = message.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? h.msgId;
    return {
      sendStatus,
      msgId: uniqKey,
      offsetMsgId: h.msgId,
      queueId: h.queueId,
      queueOffset: h.queueOffset,
      transactionId: prepared
        ? encodeTransactionToken(
            decodeOffsetMessageId(h.msgId).commitLogOffset,
            h.queueOffset,
            h.transactionId || uniqKey,
          )
        : undefined,
      recallHandle: h.recallHandle || undefined,
    };
  }

  async popMessage(brokerName: string, request: PopRequest): Promise<PopResult> {
    const res = await this.#invoke(
      brokerName,
      request.topic,
      RequestCode.POP_MESSAGE,
      {
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: request.queueId,
        maxMsgNums: request.maxMsgNums,
        invisibleTime: request.invisibleTime,
        pollTime: request.pollTime,
        bornTime: this.#now(),
        initMode: request.initMode,
        expType: request.filter.expressionType,
        exp: request.filter.expression,
        order: request.order,
        attemptId: request.attemptId,
      },
      undefined,
      request.pollTime + this.#options.requestTimeoutMillis,
    );
    switch (res.code) {
      case ResponseCode.SUCCESS: {
        const h = readHeader(res, {
          popTime: "long",
          invisibleTime: "long",
          reviveQid: "int",
          startOffsetInfo: "string?",
        });
        return {
          popStatus: "FOUND",
          messages: withReceiptHandles(decodeMessageRecords(res.body), h, brokerName),
        };
      }
      case ResponseCode.POLLING_FULL:
        return { popStatus: "POLLING_FULL", messages: [] };
      case ResponseCode.POLLING_TIMEOUT:
      case ResponseCode.PULL_NOT_FOUND:
      case ResponseCode.NO_MESSAGE:
        return { popStatus: "NO_NEW_MSG", messages: [] };
      default:
        ensureResponseCode(res);
        throw new MqError(ResponseCode.SYSTEM_ERROR, "unreachable");
    }
  }

  async ackMessage(brokerName: string, request: AckRequest): Promise<void> {
    const f = handleFields(request.receiptHandle);
    ensureResponseCode(
      await this.#invoke(brokerName, request.topic, RequestCode.ACK_MESSAGE, {
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: f.queueId,
        extraInfo: request.receiptHandle,
        offset: f.offset,
      }),
    );
  }

  async ackMessages(brokerName: string, request: AckBatchRequest): Promise<Array<MqError | undefined>> {
    const plan = planBatchAck(brokerName, request.consumerGroup, request.topic, request.receiptHandles);
    const { consumerGroup, topic, receiptHandles } = request;
    const singles = plan.singles.map(async (i) => {
      try {
        await this.ackMessage(brokerName, { consumerGroup, topic, receiptHandle: receiptHandles[i]! });
      } catch (err) {
        plan.errors[i] = MqError.from(err);
      }
    });
    if (plan.body) {
      const res = ensureResponseCode(
        await this.#invoke(brokerName, request.topic, RequestCode.BATCH_ACK_MESSAGE, {}, plan.body),
      );
      for (const f of decodeBatchAckFailures(res.body))
        for (const i of plan.entriesOf(f.ack, f.offset)) plan.errors[i] = new MqError(f.code, f.remark);
    }
    await Promise.all(singles);
    return plan.errors;
  }

  async changeInvisibleTime(brokerName: string, request: ChangeInvisibleTimeRequest): Promise<string> {
    const f = handleFields(request.receiptHandle);
    const res = ensureResponseCode(
      await this.#invoke(brokerName, request.topic, RequestCode.CHANGE_MESSAGE_INVISIBLETIME, {
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: f.queueId,
        extraInfo: request.receiptHandle,
        offset: f.offset,
        invisibleTime: request.invisibleTime,
      }),
    );
    const h = readHeader(res, {
      popTime: "long",
      invisibleTime: "long",
      reviveQid: "int",
      extraInfo: "string?",
    });
    if (h.extraInfo) return h.extraInfo;
    // A changed message is its own one-message checkpoint: start offset = its offset (RocketMQ's client does so).
    return [
      f.offset,
      h.popTime,
      h.invisibleTime,
      h.reviveQid,
      f.topicType,
      brokerName,
      f.queueId,
      f.offset,
      ...(f.commitLogOffset >= 0 ? [f.commitLogOffset] : []),
    ].join(" ");
  }

  async pullMessage(brokerName: string, request: PullRequest): Promise<PullResult> {
    const res = await this.#invoke(
      brokerName,
      request.topic,
      RequestCode.PULL_MESSAGE,
      {
        consumerGroup: request.consumerGroup,
        topic: request.topic,
        queueId: request.queueId,
        queueOffset: request.queueOffset,
        maxMsgNums: request.maxMsgNums,
        sysFlag: (request.pollTime > 0 ? PULL_SUSPEND : 0) | PULL_SUBSCRIPTION,
        commitOffset: 0,
        suspendTimeoutMillis: request.pollTime,
        subscription: request.filter.expression,
        subVersion: 0,
        expressionType: request.filter.expressionType,
      },
      undefined,
      request.pollTime + this.#options.requestTimeoutMillis,
    );
    const statusByCode: Record<number, PullResult["pullStatus"]> = {
      [ResponseCode.SUCCESS]: "FOUND",
      [ResponseCode.PULL_NOT_FOUND]: "NO_NEW_MSG",
      [ResponseCode.PULL_RETRY_IMMEDIATELY]: "NO_MATCHED_MSG",
      [ResponseCode.PULL_OFFSET_MOVED]: "OFFSET_ILLEGAL",
    };
    const pullStatus = statusByCode[res.code];
    if (!pullStatus) ensureResponseCode(res);
    const h = readHeader(res, { nextBeginOffset: "long", minOffset: "long", maxOffset: "long" });
    return {
      pullStatus,
      ...h,
      messages: pullStatus === "FOUND" ? decodeMessageRecords(res.body) : [],
    };
  }

  async queryConsumerOffset(
    brokerName: string,
    consumerGroup: string,
    q: QueueRef,
  ): Promise<number | undefined> {
    const res = await this.#invoke(brokerName, q.topic, RequestCode.QUERY_CONSUMER_OFFSET, {
      consumerGroup,
      topic: q.topic,
      queueId: q.queueId,
      // GetOffset reports "no committed offset" rather than the broker's guess of where a new group starts.
      setZeroIfNotFound: false,
    });
    if (res.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    const offset = readHeader(ensureResponseCode(res), { offset: "long" }).offset;
    return offset < 0 ? undefined : offset;
  }

  async updateConsumerOffset(brokerName: string, consumerGroup: string, q: QueueRef, offset: number) {
    ensureResponseCode(
      await this.#invoke(brokerName, q.topic, RequestCode.UPDATE_CONSUMER_OFFSET, {
        consumerGroup,
        topic: q.topic,
        queueId: q.queueId,
        commitOffset: offset,
      }),
    );
  }

  async #offset(brokerName: string, code: number, header: HeaderValues & { topic: string }): Promise<number> {
    const res = ensureResponseCode(await this.#invoke(brokerName, header.topic, code, header));
    return readHeader(res, { offset: "long" }).offset;
  }

  getMinOffset(brokerName: string, q: QueueRef): Promise<number> {
    return this.#offset(brokerName, RequestCode.GET_MIN_OFFSET, { topic: q.topic, queueId: q.queueId });
  }

  getMaxOffset(brokerName: string, q: QueueRef): Promise<number> {
    return this.#offset(brokerName, RequestCode.GET_MAX_OFFSET, { topic: q.topic, queueId: q.queueId });
  }

  searchOffset(brokerName: string, q: QueueRef, timestamp: number): Promise<number> {
    return this.#offset(brokerName, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, {
      topic: q.topic,
      queueId: q.queueId,
      timestamp,
    });
  }

  async endTransaction(brokerName: string, request: EndTransactionRequest): Promise<void> {
    const t = decodeTransactionToken(request.transactionId);
    ensureResponseCode(
      await this.#invoke(brokerName, request.topic, RequestCode.END_TRANSACTION, {
        topic: request.topic,
        producerGroup: request.producerGroup,
        tranStateTableOffset: t.tranStateTableOffset,
        commitLogOffset: t.commitLogOffset,
        commitOrRollback: request.commit
          ? MessageSysFlag.TRANSACTION_COMMIT_TYPE
          : MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
        fromTransactionCheck: request.fromTransactionCheck,
        msgId: request.msgId,
        transactionId: t.transactionId,
      }),
    );
  }

  async forwardToDeadLetterQueue(brokerName: string, request: DeadLetterRequest): Promise<void> {
    const f = handleFields(request.receiptHandle);
    if (f.commitLogOffset < 0)
      throw new MqError(ResponseCode.INVALID_PARAMETER, "the receipt handle carries no commit log offset");
    ensureResponseCode(
      await this.#invoke(brokerName, request.topic, RequestCode.CONSUMER_SEND_MSG_BACK, {
        offset: f.commitLogOffset,
        group: request.consumerGroup,
        delayLevel: -1,
        originMsgId: request.msgId,
        originTopic: request.topic,
        unitMode: false,
        maxReconsumeTimes: 0,
      }),
    );
    await this.ackMessage(brokerName, request);
  }

  async recallMessage(brokerName: string, topic: string, recallHandle: string): Promise<string> {
    const res = ensureResponseCode(
      await this.#invoke(brokerName, topic, RequestCode.RECALL_MESSAGE, {
        topic,
        producerGroup: topic,
        recallHandle,
      }),
    );
    return readHeader(res, { msgId: "string" }).msgId;
  }

  async registerClient(registration: ClientRegistration): Promise<void> {
    this.#clients.set(registration.clientId, registration);
    await this.#heartbeat(registration);
  }

  async #heartbeat(registration: ClientRegistration): Promise<void> {
    const body = encodeJsonBody({
      clientID: registration.clientId,
      producerDataSet: registration.producerGroups.map((groupName) => ({ groupName })),
      consumerDataSet: registration.consumerGroups.map((groupName) => ({
        groupName,
        consumeType: "CONSUME_POP",
        messageModel: "CLUSTERING",
        consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
        subscriptionDataSet: [],
        unitMode: false,
      })),
      heartbeatFingerprint: 0,
      withoutSub: false,
    });
    await Promise.all(
      [...this.#routes.masters()].map(([brokerName, addr]) =>
        this.#client
          .invoke(addr, createRequest(RequestCode.HEART_BEAT, {}, body), this.#options.requestTimeoutMillis)
          .then((res) => ensureResponseCode(res))
          .catch((err) => this.#options.logger.debug({ err, brokerName }, "heartbeat to broker failed")),
      ),
    );
  }

  async unregisterClient(clientId: string): Promise<void> {
    const reg = this.#clients.get(clientId);
    this.#clients.delete(clientId);
    if (!reg) return;
    const headers = [
      ...reg.producerGroups.map((producerGroup) => ({ clientID: clientId, producerGroup })),
      ...reg.consumerGroups.map((consumerGroup) => ({ clientID: clientId, consumerGroup })),
    ];
    await Promise.all(
      [...this.#routes.masters().values()].flatMap((addr) =>
        headers.map((h) =>
          this.#client
            .invoke(addr, createRequest(RequestCode.UNREGISTER_CLIENT, h), this.#options.requestTimeoutMillis)
            .catch((err) => this.#options.logger.debug({ err }, "unregister at broker failed")),
        ),
      ),
    );
  }

  onTransactionCheck(listener: (check: TransactionCheck) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #onCheckTransaction(
    ext: Readonly<Record<string, string>>,
    body: Uint8Array | undefined,
    remote: string,
  ): void {
    try {
      const h = readHeader(
        { extFields: ext },
        {
          topic: "string?",
          tranStateTableOffset: "long",
          commitLogOffset: "long",
          msgId: "string?",
          transactionId: "string?",
        },
      );
      if (!body)
        throw new MqError(ResponseCode.INVALID_PARAMETER, "CHECK_TRANSACTION_STATE without a message");
      const message = decodeMessageRecord(body, 0, { checkCRC: false });
      const brokerName = [...this.#routes.masters()].find(([, addr]) => addr === remote)?.[0];
      if (!brokerName)
        throw new MqError(ResponseCode.BROKER_NOT_EXIST, `check from unknown broker ${remote}`);
      const uniqKey =
        message.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? h.msgId ?? "";
      const check: TransactionCheck = {
        brokerName,
        producerGroup: message.properties[MessageConst.PROPERTY_PRODUCER_GROUP] ?? h.topic ?? message.topic,
        transactionId: encodeTransactionToken(
          h.commitLogOffset,
          h.tranStateTableOffset,
          h.transactionId || uniqKey,
        ),
        message,
      };
      for (const listener of this.#listeners) listener(check);
    } catch (err) {
      this.#options.logger.warn({ err, remote }, "ignored a malformed transaction check");
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeatTimer);
    this.#routes.close();
    this.#listeners.clear();
    await this.#client.close();
  }
}

export function createClusterBackend(options: ClusterBackendOptions): ClusterBackend {
  return new ClusterBackend(options);
}
