import type { Logger } from "pino";
import { MqError } from "../proto/error.ts";
import {
  createRemotingClient,
  createRemotingServer,
  DEFAULT_MAX_FRAME_SIZE,
  type RemotingClient,
  type RemotingServer,
} from "../proto/remoting/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type ElectionRun, runElection } from "./elect-master.ts";
import { type ElectTrigger, needsReelection } from "./election.ts";
import { brokerRegistrationHandlers } from "./handlers/broker-registration.ts";
import type { ControllerContext } from "./handlers/context.ts";
import { metadataHandlers } from "./handlers/metadata.ts";
import { syncStateHandlers } from "./handlers/sync-state.ts";
import type { LeaseStore } from "./lease-store.ts";
import { createNotifyBrokerRoleChangedRequest, notifyTargets } from "./notify.ts";
import { createRedisLeaseStore, type RedisLeaseStore } from "./redis.ts";

/** Faults worth another election attempt: the store was unreachable or kept changing under us. */
const RETRYABLE: ReadonlySet<number> = new Set([ResponseCode.SYSTEM_ERROR, ResponseCode.SYSTEM_BUSY]);

export interface ControllerOptions {
  /** interface to listen on (tests use 127.0.0.1) */
  host: string;
  /** 0 picks a free port; `start()` resolves with the bound one */
  listenPort: number;
  /** "host:port" brokers are told to use (GET_METADATA_INFO); default host:boundPort, 127.0.0.1 for 0.0.0.0 */
  advertisedAddress?: string;
  /** names this controller in GET_METADATA_INFO; default the advertised address */
  controllerId?: string;
  /** where the shared state lives when no `store` is given: "host:port" or a redis:// URL */
  redisAddr: string;
  /** namespace of every Redis key, so several clusters can share one Redis */
  redisKeyPrefix: string;
  /** use this store (not closed by the controller) instead of connecting to `redisAddr` */
  store?: LeaseStore;
  /** how often the liveness scan looks for masters whose lease expired */
  scanIntervalMs: number;
  /** lease length for a BROKER_HEARTBEAT that carries no heartbeatTimeoutMills (RocketMQ: 10 s) */
  brokerHeartbeatTimeoutMs: number;
  /** when no SyncStateSet member is alive, elect any live replica (may lose messages) */
  enableElectUncleanMaster: boolean;
  /** push NOTIFY_BROKER_ROLE_CHANGED to live brokers after an election */
  notifyBrokerRoleChanged: boolean;
  /** attempts per broker set when the scan's election fails (store unavailable, endless races) */
  electMasterMaxRetryCount: number;
  /** ms since the epoch, stamped on heartbeats */
  clock: () => number;
  maxFrameSize: number;
  logger?: Pick<Logger, "info" | "warn">;
}

export const defaultControllerOptions: Readonly<ControllerOptions> = Object.freeze({
  host: "0.0.0.0",
  listenPort: 9878,
  redisAddr: "127.0.0.1:6379",
  redisKeyPrefix: "bunmq:controller:",
  scanIntervalMs: 5000,
  brokerHeartbeatTimeoutMs: 10_000,
  enableElectUncleanMaster: false,
  notifyBrokerRoleChanged: true,
  electMasterMaxRetryCount: 3,
  clock: () => Date.now(),
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
});

/**
 * The controller role: decides masters and SyncStateSets for broker sets in controller mode. State lives in a
 * LeaseStore (Redis by default), so any number of controllers can serve side by side; see README.md.
 */
export class Controller {
  readonly store: LeaseStore;
  private readonly options: ControllerOptions;
  private readonly ownedStore?: RedisLeaseStore;
  private readonly server: RemotingServer;
  private readonly client: RemotingClient;
  private scanTimer?: ReturnType<typeof setInterval>;
  private scanning?: Promise<unknown>;
  private scanFailing = false;
  private started = false;

  constructor(options: Partial<ControllerOptions> = {}) {
    this.options = { ...defaultControllerOptions, ...options };
    const o = this.options;
    if (o.store) {
      this.store = o.store;
    } else {
      this.ownedStore = createRedisLeaseStore({
        redisAddr: o.redisAddr,
        keyPrefix: o.redisKeyPrefix,
        logger: o.logger,
      });
      this.store = this.ownedStore;
    }
    this.server = createRemotingServer({
      host: o.host,
      port: o.listenPort,
      maxFrameSize: o.maxFrameSize,
      onError: (err, remoteAddress) => o.logger?.warn({ err, remoteAddress }, "remoting connection error"),
    });
    this.client = createRemotingClient({ connectTimeoutMs: 1000, requestTimeoutMs: 3000 });
    const context: ControllerContext = {
      store: this.store,
      enableElectUncleanMaster: o.enableElectUncleanMaster,
      brokerHeartbeatTimeoutMs: o.brokerHeartbeatTimeoutMs,
      clock: o.clock,
      identity: () => ({
        group: this.store.description,
        controllerId: o.controllerId ?? this.address,
        address: this.address,
      }),
      electMaster: (brokerName, trigger) => this.electMaster(brokerName, trigger),
    };
    for (const family of [syncStateHandlers, brokerRegistrationHandlers, metadataHandlers]) {
      for (const [code, handler] of family(context)) this.server.handle(code, handler);
    }
  }

  /** Connects to the store (fails naming it when unreachable), listens, starts the scan; resolves with the port. */
  async start(): Promise<number> {
    if (this.ownedStore) await this.ownedStore.connect();
    else await this.store.ping();
    const port = await this.server.start();
    this.started = true;
    this.scanTimer = setInterval(() => this.scheduledScan(), this.options.scanIntervalMs);
    this.options.logger?.info({ port, store: this.store.description }, "controller started");
    return port;
  }

  get port(): number {
    return this.server.port;
  }

  /** The address brokers are told to use. */
  get address(): string {
    if (this.options.advertisedAddress) return this.options.advertisedAddress;
    const host =
      this.options.host === "0.0.0.0" || this.options.host === "::" ? "127.0.0.1" : this.options.host;
    return `${host}:${this.port}`;
  }

  /**
   * Elects anew in every broker set whose master's lease expired (runs every scanIntervalMs). Returns the
   * elections this controller ran; another controller may have decided first, which shows here as "kept".
   */
  async scanInactiveMasters(): Promise<ElectionRun[]> {
    const runs: ElectionRun[] = [];
    for (const brokerName of await this.store.listBrokerSets()) {
      try {
        const stored = await this.store.getBrokerSet(brokerName);
        if (!stored || stored.value.masterBrokerId === null) continue;
        const live = await this.store.liveBrokers(brokerName, [stored.value.masterBrokerId]);
        if (!needsReelection(stored.value, live)) continue;
        this.options.logger?.warn(
          { brokerName, masterBrokerId: stored.value.masterBrokerId, masterEpoch: stored.value.masterEpoch },
          "master lease expired, electing",
        );
        const run = await this.electWithRetries(brokerName);
        if (run) runs.push(run);
      } catch (err) {
        // one unreadable broker set must not stop the scan of the others
        this.options.logger?.warn(
          { brokerName, err: MqError.from(err).message },
          "liveness scan skipped a broker set",
        );
      }
    }
    return runs;
  }

  /** One election (ELECT_MASTER and the scan both come here); a new master is pushed to the live brokers. */
  async electMaster(brokerName: string, trigger: ElectTrigger): Promise<ElectionRun> {
    const run = await runElection(this.store, brokerName, trigger, {
      enableElectUncleanMaster: this.options.enableElectUncleanMaster,
    });
    if (run.outcome !== "kept") {
      this.options.logger?.info(
        {
          brokerName,
          trigger: trigger.by,
          outcome: run.outcome,
          masterBrokerId: run.state.masterBrokerId,
          masterEpoch: run.state.masterEpoch,
        },
        "election decided",
      );
    }
    if (run.outcome === "elected" && this.options.notifyBrokerRoleChanged) this.notify(run);
    return run;
  }

  async close(): Promise<void> {
    this.started = false;
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.scanning;
    await this.server.close();
    await this.client.close();
    await this.ownedStore?.close();
  }

  private scheduledScan(): void {
    if (!this.started || this.scanning) return; // a slow store must not pile scans up
    this.scanning = this.scanInactiveMasters()
      .then(() => {
        if (this.scanFailing) this.options.logger?.info("liveness scan works again");
        this.scanFailing = false;
      })
      .catch((err) => {
        // once per outage: a dead store would otherwise log every scanIntervalMs
        if (!this.scanFailing)
          this.options.logger?.warn({ err: MqError.from(err).message }, "liveness scan failed");
        this.scanFailing = true;
      })
      .finally(() => {
        this.scanning = undefined;
      });
  }

  private async electWithRetries(brokerName: string): Promise<ElectionRun | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.electMaster(brokerName, { by: "controller" });
      } catch (err) {
        const e = MqError.from(err);
        // a CONTROLLER_* refusal is an answer (e.g. another controller already cleared the master), not a fault
        if (!RETRYABLE.has(e.code) || attempt >= this.options.electMasterMaxRetryCount) {
          this.options.logger?.warn({ brokerName, code: e.code, err: e.message }, "election not done");
          return undefined;
        }
      }
    }
  }

  private notify(run: ElectionRun): void {
    const request = createNotifyBrokerRoleChangedRequest(run.state);
    for (const addr of notifyTargets(run)) {
      this.client.invokeOneway(addr, request).catch((err) => {
        this.options.logger?.warn(
          { addr, err: MqError.from(err).message },
          "NOTIFY_BROKER_ROLE_CHANGED failed",
        );
      });
    }
  }
}

/**
 * @example
 * const controller = createController({ host: "127.0.0.1", listenPort: 0, redisAddr: "127.0.0.1:6379" });
 * const port = await controller.start();
 */
export function createController(options: Partial<ControllerOptions> = {}): Controller {
  return new Controller(options);
}
