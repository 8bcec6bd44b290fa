import { join } from "node:path";
import type { ConfigOf, Logger } from "../config/index.ts";
import { brokerSchema, createLogger } from "../config/index.ts";
import { MessageConst, tagsStringToTagsCode } from "../proto/message/index.ts";
import {
  type BrokerRegistration,
  createRemotingClient,
  createRemotingServer,
  MQ_VERSION,
  type RemotingClient,
  type RemotingConnection,
  type RemotingServer,
} from "../proto/remoting/index.ts";
import type { BrokerApi, BrokerIdentity, TransactionCheck } from "./broker-api.ts";
import { type ConsumerOffsetTable, createConsumerOffsetTable } from "./consumer-offset.ts";
import { type ConsumerRegistry, createConsumerRegistry } from "./consumer-registry.ts";
import { registerAckHandlers } from "./handlers/ack-message.ts";
import { registerAdminBrokerHandlers } from "./handlers/admin-broker.ts";
import { registerAdminTopicHandlers } from "./handlers/admin-topic.ts";
import { registerChangeInvisibleTimeHandlers } from "./handlers/change-invisible-time.ts";
import { registerConsumerManageHandlers } from "./handlers/consumer-manage.ts";
import { checkTransactionStateRequest, registerEndTransactionHandlers } from "./handlers/end-transaction.ts";
import { registerOffsetHandlers } from "./handlers/offset.ts";
import { registerPopHandlers } from "./handlers/pop-message.ts";
import { registerPullHandlers } from "./handlers/pull-message.ts";
import { registerQueryHandlers } from "./handlers/query-message.ts";
import { registerSendHandlers } from "./handlers/send-message.ts";
import { ensureInnerTopic, type TopicCreation } from "./inner-topics.ts";
import { createLocalBrokerApi } from "./local-api.ts";
import { LongPolling } from "./long-polling.ts";
import { defaultPopConfig, PopService } from "./pop/pop-service.ts";
import { createQueueLockTable } from "./queue-lock.ts";
import { Registration } from "./registration.ts";
import type { BrokerRole, RoleState } from "./role-state.ts";
import { parseDelayLevels } from "./schedule/delay-level.ts";
import { ScheduleService } from "./schedule/schedule-service.ts";
import { createSender } from "./send.ts";
import { createMessageStore, type MessageStore, type MessageStoreOptions } from "./store/index.ts";
import { createSubscriptionGroupTable, type SubscriptionGroupTable } from "./subscription-group.ts";
import { createTimerStore, type TimerStore } from "./timer/index.ts";
import { deliverTimerMessages } from "./timer-messages.ts";
import {
  createTopicConfigTable,
  PERM_INHERIT,
  PERM_READ,
  PERM_WRITE,
  type TopicConfigTable,
} from "./topic-config.ts";
import {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  RMQ_SYS_OFFSET_MOVED_EVENT,
  RMQ_SYS_SCHEDULE_TOPIC,
  RMQ_SYS_SELF_TEST_TOPIC,
  RMQ_SYS_WHEEL_TIMER_TOPIC,
} from "./topic-validator.ts";
import { TransactionService } from "./transaction/transaction-service.ts";

/** broker.conf keys (config/roles.ts brokerSchema). */
export type BrokerConfig = ConfigOf<typeof brokerSchema>;

export interface BrokerOptions {
  /** broker.conf values; missing keys take RocketMQ's defaults. `listenPort: 0` picks a free port. */
  config: Partial<BrokerConfig>;
  /** Store times, invisible times, delays and lock expiry read this clock. */
  clock: () => number;
  logger?: Logger;
  /** Period of the pop revive scan; 0 = none (tests call `revive()`). */
  reviveIntervalMs: number;
  /** Period of the delayed-delivery scan; 0 = none (tests call `deliverDelayed()`). */
  scheduleIntervalMs: number;
  /** How often consumer offsets and delay cursors are written (flushConsumerOffsetInterval). */
  flushConsumerOffsetIntervalMs: number;
  /** A client that has not sent a heartbeat for this long is dropped (channelExpiredTimeout). */
  clientExpiryMs: number;
  /** Run the transaction check-back on a timer (every transactionCheckInterval); false = tests call it. */
  transactionCheckTimer: boolean;
  /** Store settings beyond broker.conf (tests shrink files and timers). */
  store?: Partial<MessageStoreOptions>;
}

export const defaultBrokerOptions: Readonly<Omit<BrokerOptions, "config">> = Object.freeze({
  clock: Date.now,
  reviveIntervalMs: 1000,
  scheduleIntervalMs: 100,
  flushConsumerOffsetIntervalMs: 5000,
  clientExpiryMs: 120_000,
  transactionCheckTimer: true,
});

function configDefaults(): BrokerConfig {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(brokerSchema)) out[key] = spec.default;
  return out as BrokerConfig;
}

interface Running {
  store: MessageStore;
  topics: TopicConfigTable;
  groups: SubscriptionGroupTable;
  offsets: ConsumerOffsetTable;
  pop: PopService;
  schedule: ScheduleService;
  timer: TimerStore;
  transactions: TransactionService;
  registration: Registration;
  client: RemotingClient;
  api: BrokerApi;
  timers: ReturnType<typeof setInterval>[];
  /** The timer's consumerOffset.json and delayOffset.json writes in flight, if any. */
  offsetWrite: { running: Promise<unknown> | undefined };
}

/**
 * A broker: the store plus every message semantic behind one BrokerApi, served over remoting. Owns topics.json,
 * subscriptionGroup.json, consumerOffset.json and delayOffset.json under `<storePathRootDir>/config`. Several
 * brokers (each with its own store root and port) can run in one process.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly options: Omit<BrokerOptions, "config">;
  readonly logger: Logger;
  readonly registry: ConsumerRegistry<RemotingConnection>;
  readonly longPolling = new LongPolling();
  /** Role and permission: state, so a controller can promote a slave at run time. */
  readonly roleState: RoleState;
  private readonly server: RemotingServer;
  private running?: Running;
  private bootTimestamp = 0;
  private nextProducer = 0;
  private boundPort = 0;

  constructor(options: Partial<BrokerOptions> & { config: Partial<BrokerConfig> }) {
    const { config, ...rest } = options;
    this.config = { ...configDefaults(), ...config };
    this.options = { ...defaultBrokerOptions, ...rest };
    this.logger =
      this.options.logger ?? createLogger("broker", { extra: { brokerName: this.config.brokerName } });
    this.registry = createConsumerRegistry({ clock: this.options.clock });
    this.roleState = { role: this.config.brokerRole, brokerPermission: this.config.brokerPermission };
    this.server = createRemotingServer({
      host: this.config.bindAddress,
      port: this.config.listenPort,
      onError: (err, remoteAddress) =>
        this.logger.warn(
          { err: String((err as Error)?.message ?? err), remoteAddress },
          "remoting connection error",
        ),
    });
  }

  /** The broker API (after `start()`): what the remoting handlers and a Local-mode proxy call. */
  get api(): BrokerApi {
    return this.mustRun().api;
  }

  get port(): number {
    return this.boundPort;
  }

  /** "ip:port" published to nameservers and stamped into message ids. */
  get brokerAddr(): string {
    return `${this.config.brokerIP1}:${this.boundPort}`;
  }

  identity(): BrokerIdentity {
    return {
      clusterName: this.config.brokerClusterName,
      brokerName: this.config.brokerName,
      brokerId: this.config.brokerId,
      brokerAddr: this.brokerAddr,
    };
  }

  setRole(role: BrokerRole): void {
    this.roleState.role = role;
  }

  /** Runs one pop revive pass now (returns messages revived); for tests with an injected clock. */
  revive(): Promise<number> {
    return this.mustRun().pop.revive();
  }

  /** Delivers due delay-level and timer messages now (returns how many); for tests with an injected clock. */
  async deliverDelayed(): Promise<number> {
    const r = this.mustRun();
    return (await r.schedule.tick()) + (await r.timer.deliverDue());
  }

  /** Runs one transaction check-back pass now (returns producers asked); for tests with an injected clock. */
  checkTransactions(): Promise<number> {
    return this.mustRun().transactions.check();
  }

  /**
   * Writes consumer offsets and delay cursors now (they are also written on a timer and on close). Waits for the
   * timer's write in flight first: that one took an older snapshot, and its rename must not land after this one.
   */
  async persistOffsets(): Promise<void> {
    const r = this.mustRun();
    // The timer may start another write while this waits: wait until none runs, then write synchronously.
    while (r.offsetWrite.running) await r.offsetWrite.running;
    r.offsets.persist();
    r.schedule.persist();
  }

  /** Registers with the nameservers now (also done every registerNameServerPeriod and after topic changes). */
  registerNow() {
    return this.mustRun().registration.registerNow();
  }

  async start(): Promise<void> {
    if (this.running) return;
    // Said plainly rather than ignored: these keys name features this broker does not have yet.
    if (this.config.enableControllerMode)
      throw new Error(
        "enableControllerMode=true is not supported by this broker yet (the controller role exists; " +
          "broker-side election arrives with replication)",
      );
    if (this.config.brokerRole === "SLAVE" || this.config.brokerId !== 0)
      this.logger.warn(
        { brokerRole: this.config.brokerRole, brokerId: this.config.brokerId },
        "bunmq brokers do not replicate yet: this broker serves only what is written to it",
      );
    const undo: Array<() => unknown> = [() => this.server.close()];
    try {
      await this.open(undo);
    } catch (err) {
      // a broker that fails to start releases what it opened (port, store files, timers) before reporting
      for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
      throw err;
    }
  }

  private async open(undo: Array<() => unknown>): Promise<void> {
    const c = this.config;
    const o = this.options;
    this.boundPort = await this.server.start();
    this.bootTimestamp = o.clock();
    const delayLevels = parseDelayLevels(c.messageDelayLevel);
    const configDir = join(c.storePathRootDir, "config");
    let registration: Registration | undefined;
    const topics = createTopicConfigTable({ configDir, clock: o.clock });
    const groups = createSubscriptionGroupTable({
      configDir,
      defaultRetryMaxTimes: c.maxReconsumeTimes,
      clock: o.clock,
    });
    const offsets = createConsumerOffsetTable({ configDir });
    const creation: TopicCreation = { topics, onTopicCreated: () => registration?.registerSoon() };
    this.createSystemTopics(creation, delayLevels.length);

    const store = await createMessageStore({
      storePathRootDir: c.storePathRootDir,
      commitLogSegmentSize: c.mappedFileSizeCommitLog,
      consumeQueueUnitsPerFile: Math.max(1, Math.floor(c.mappedFileSizeConsumeQueue / 20)),
      flushDiskType: c.flushDiskType,
      flushIntervalMs: c.flushIntervalCommitLog,
      transientStorePoolEnable: c.transientStorePoolEnable,
      maxMessageSize: c.maxMessageSize,
      fileReservedTimeHours: c.fileReservedTime,
      deleteWhen: c.deleteWhen,
      diskMaxUsedSpaceRatio: c.diskMaxUsedSpaceRatio,
      checkCrcOnRecover: c.checkCRCOnRecover,
      storeHost: this.brokerAddr,
      clock: o.clock,
      logger: { info: (m) => this.logger.info(m), warn: (m) => this.logger.warn(m) },
      ...o.store,
      // SCHEDULE_TOPIC_XXXX units carry the delivery time, as in RocketMQ.
      tagsCodeOf: (topic, properties, storeTimestamp) => {
        if (topic === RMQ_SYS_SCHEDULE_TOPIC) {
          const level = Number.parseInt(properties[MessageConst.PROPERTY_DELAY_TIME_LEVEL] ?? "1", 10) || 1;
          return storeTimestamp + delayLevels[Math.min(Math.max(level, 1), delayLevels.length) - 1]!;
        }
        return tagsStringToTagsCode(properties[MessageConst.PROPERTY_TAGS]);
      },
    });
    undo.push(() => store.close());
    store.onDispatch((d) => this.longPolling.notify(d.topic, d.queueId));

    const onError = (err: unknown) =>
      this.logger.warn({ err: String((err as Error)?.message ?? err) }, "broker task failed");
    const readConfig = {
      brokerName: c.brokerName,
      autoCreateSubscriptionGroup: c.autoCreateSubscriptionGroup,
      longPollingEnable: c.longPollingEnable,
      enablePropertyFilter: c.enablePropertyFilter,
    };
    const pull = {
      store,
      topics,
      groups,
      offsets,
      roleState: this.roleState,
      longPolling: this.longPolling,
      clock: o.clock,
      config: readConfig,
    };
    const pop = new PopService({
      ...creation,
      store,
      groups,
      offsets,
      roleState: this.roleState,
      longPolling: this.longPolling,
      clock: o.clock,
      config: {
        ...readConfig,
        ...defaultPopConfig,
        clusterName: c.brokerClusterName,
        reviveIntervalMs: o.reviveIntervalMs,
      },
      onError,
    });
    undo.push(() => pop.close());
    await pop.start();
    const schedule = new ScheduleService({
      store,
      configDir,
      delayLevels,
      clock: o.clock,
      tickIntervalMs: o.scheduleIntervalMs,
      onError,
    });
    undo.push(() => schedule.close());
    schedule.start();
    const timer = await createTimerStore({
      dir: join(c.storePathRootDir, "timer"),
      clock: o.clock,
      maxDelayMs: c.timerMaxDelaySec * 1000,
      syncFlush: c.flushDiskType === "SYNC_FLUSH",
      onError,
    });
    undo.push(() => timer.close());
    deliverTimerMessages(timer, store, o.clock, onError);

    const checkListeners = new Set<(check: TransactionCheck) => void>();
    const transactions = new TransactionService({
      ...creation,
      store,
      offsets,
      clock: o.clock,
      config: {
        transactionTimeOut: c.transactionTimeOut,
        transactionCheckMax: c.transactionCheckMax,
        transactionCheckInterval: c.transactionCheckInterval,
        checkTimerMs: o.transactionCheckTimer ? c.transactionCheckInterval : 0,
      },
      askProducer: (check) => this.askProducer(check, checkListeners, onError),
      onError,
    });
    undo.push(() => transactions.close());
    await transactions.start();

    const sendConfig = {
      brokerName: c.brokerName,
      maxMessageSize: c.maxMessageSize,
      autoCreateTopicEnable: c.autoCreateTopicEnable,
      autoCreateSubscriptionGroup: c.autoCreateSubscriptionGroup,
      delayLevelCount: delayLevels.length,
      timerMaxDelayMs: c.timerMaxDelaySec * 1000,
    };
    const api = createLocalBrokerApi({
      identity: () => this.identity(),
      transactions,
      transactionCheckListeners: checkListeners,
      timer,
      sender: createSender({
        ...creation,
        store,
        groups,
        roleState: this.roleState,
        config: sendConfig,
        timer,
        transactions,
        clock: o.clock,
      }),
      pull,
      pop,
      sendBack: { ...creation, store, groups, roleState: this.roleState, config: sendConfig },
      admin: {
        store,
        topics,
        groups,
        offsets,
        config: {
          clusterName: c.brokerClusterName,
          brokerName: c.brokerName,
          defaultTopicQueueNums: c.defaultTopicQueueNums,
        },
        onTopicsChanged: () => registration?.registerSoon(),
      },
    });

    const client = createRemotingClient({ requestTimeoutMs: c.registerBrokerTimeoutMills });
    registration = new Registration({
      client,
      namesrvAddr: c.namesrvAddr,
      periodMs: c.registerNameServerPeriod,
      timeoutMs: c.registerBrokerTimeoutMills,
      registration: () => this.registrationOf(topics),
      onError: (err) => this.logger.warn({ err: err.message }, "register broker failed"),
    });

    const consumerManage = registerConsumerManageHandlers(this.server, {
      ...creation,
      api,
      registry: this.registry,
      groups,
      locks: createQueueLockTable({ clock: o.clock }),
      autoCreateSubscriptionGroup: c.autoCreateSubscriptionGroup,
      onError,
    });
    registerSendHandlers(this.server, { api });
    registerEndTransactionHandlers(this.server, { api });
    registerPullHandlers(this.server, { api, registry: this.registry });
    registerPopHandlers(this.server, { api });
    registerAckHandlers(this.server, { api });
    registerChangeInvisibleTimeHandlers(this.server, { api });
    registerOffsetHandlers(this.server, {
      api,
      allConsumerOffsets: () => offsets.snapshot(),
      allDelayOffsets: () => schedule.offsets(),
    });
    registerQueryHandlers(this.server, { api });
    registerAdminTopicHandlers(this.server, { api, topics, groups, registry: this.registry });
    registerAdminBrokerHandlers(this.server, {
      runtimeInfo: () => this.runtimeInfo(topics, pop),
      config: () => ({
        ...this.config,
        brokerRole: this.roleState.role,
        brokerPermission: this.roleState.brokerPermission,
      }),
      dataVersion: () => JSON.stringify(topics.dataVersion()),
    });

    // Consumer offsets and delay cursors are written off the event loop: a synchronous fsync stalled every request
    // for up to 140 ms on a busy disk (the W3 latency tail). One write of each at a time; close() waits for them.
    const offsetWrite: Running["offsetWrite"] = { running: undefined };
    const timers = [
      setInterval(() => {
        if (offsetWrite.running) return;
        offsetWrite.running = Promise.all([
          offsets.persistAsync().catch(onError),
          schedule.persistAsync().catch(onError),
        ]).finally(() => {
          offsetWrite.running = undefined;
        });
      }, o.flushConsumerOffsetIntervalMs),
      setInterval(() => {
        for (const group of this.registry.scanExpired(o.clientExpiryMs)) consumerManage.notifyGroup(group);
      }, 10_000),
    ];
    // The timer store arms itself for its next entry; polling too makes a jump of the (injected) clock count at once.
    if (o.scheduleIntervalMs > 0)
      timers.push(setInterval(() => void timer.deliverDue().catch(onError), o.scheduleIntervalMs));
    this.running = {
      store,
      topics,
      groups,
      offsets,
      pop,
      schedule,
      timer,
      transactions,
      registration,
      client,
      api,
      timers,
      offsetWrite,
    };
    await registration.start();
    this.logger.info({ address: this.brokerAddr }, "broker started");
  }

  /** Unregisters, answers held requests, stops serving, then writes offsets and closes the store cleanly. */
  async close(): Promise<void> {
    const r = this.running;
    if (!r) {
      await this.server.close();
      return;
    }
    this.running = undefined;
    for (const t of r.timers) clearInterval(t);
    await r.registration.close(this.identity());
    this.longPolling.close();
    await this.server.close();
    await r.pop.close();
    // The timer's writes took older snapshots: their renames must land before the final ones.
    await r.offsetWrite.running;
    await r.schedule.close();
    await r.timer.close();
    await r.transactions.close();
    r.offsets.persist();
    await r.store.close();
    r.client.close();
    this.logger.info("broker closed");
  }

  /** Asks in-process listeners and one live remoting producer of the group (round robin) to resolve a half message. */
  private askProducer(
    check: TransactionCheck,
    listeners: Set<(check: TransactionCheck) => void>,
    onError: (err: unknown) => void,
  ): boolean {
    let asked = false;
    for (const listener of listeners) {
      try {
        listener(check);
        asked = true;
      } catch (err) {
        onError(err);
      }
    }
    const producers = this.registry.producers(check.producerGroup).filter((p) => !p.channel.closed);
    if (producers.length > 0) {
      const p = producers[this.nextProducer++ % producers.length]!;
      try {
        p.channel.invokeOneway(checkTransactionStateRequest(check));
        asked = true;
      } catch (err) {
        onError(err);
      }
    }
    return asked;
  }

  private mustRun(): Running {
    if (!this.running) throw new Error("broker is not started");
    return this.running;
  }

  private createSystemTopics(creation: TopicCreation, delayLevelCount: number): void {
    const c = this.config;
    const rw = PERM_READ | PERM_WRITE;
    ensureInnerTopic(creation, RMQ_SYS_SELF_TEST_TOPIC, 1, rw);
    if (c.autoCreateTopicEnable)
      ensureInnerTopic(creation, AUTO_CREATE_TOPIC_KEY_TOPIC, c.defaultTopicQueueNums, PERM_INHERIT | rw);
    ensureInnerTopic(creation, c.brokerClusterName, 16, PERM_INHERIT | rw);
    ensureInnerTopic(creation, c.brokerName, 1, PERM_INHERIT | rw);
    ensureInnerTopic(creation, RMQ_SYS_OFFSET_MOVED_EVENT, 1, PERM_INHERIT);
    ensureInnerTopic(creation, RMQ_SYS_SCHEDULE_TOPIC, delayLevelCount, rw);
    ensureInnerTopic(creation, RMQ_SYS_WHEEL_TIMER_TOPIC, 1, rw);
  }

  private registrationOf(topics: TopicConfigTable): BrokerRegistration {
    const c = this.config;
    return {
      clusterName: c.brokerClusterName,
      brokerName: c.brokerName,
      brokerAddr: this.brokerAddr,
      brokerId: c.brokerId,
      haServerAddr: `${c.brokerIP1}:${c.haListenPort}`,
      topicConfigTable: Object.fromEntries(topics.all().map((t) => [t.topicName, t])),
      dataVersion: topics.dataVersion(),
    };
  }

  private runtimeInfo(topics: TopicConfigTable, pop: PopService): Record<string, string> {
    const now = this.options.clock();
    return {
      brokerVersion: String(MQ_VERSION),
      brokerVersionDesc: "V5_3_3",
      brokerRole: this.roleState.role,
      bootTimestamp: String(this.bootTimestamp),
      runtime: `[ ${Math.floor((now - this.bootTimestamp) / 1000)} seconds ]`,
      topicCount: String(topics.all().length),
      pullHoldRequests: String(this.longPolling.size),
      popPendingCheckpoints: String(pop.pendingCount),
      consumerGroupsOnline: String(this.registry.consumerGroups().length),
    };
  }
}

/** Creates a broker; call `start()` to listen, open the store and register with the nameservers. */
export function createBroker(options: Partial<BrokerOptions> & { config: Partial<BrokerConfig> }): Broker {
  return new Broker(options);
}
