import type { Logger } from "pino";
import {
  createRemotingServer,
  DEFAULT_MAX_FRAME_SIZE,
  type RemotingConnection,
  type RemotingServer,
} from "../proto/remoting/index.ts";
import { brokerRegistrationHandlers } from "./handlers/broker-registration.ts";
import type { NamesrvContext, NamesrvRuntimeConfig } from "./handlers/context.ts";
import { kvConfigHandlers } from "./handlers/kv-config.ts";
import { namesrvConfigHandlers } from "./handlers/namesrv-config.ts";
import { topicRouteHandlers } from "./handlers/topic-route.ts";
import { createKvConfigTable, type KvConfigTable } from "./kv-config-table.ts";
import { type BrokerIdentity, createRouteTable, type RouteTable } from "./route-table.ts";

export interface NameServerOptions {
  /** interface to listen on (tests use 127.0.0.1) */
  host: string;
  /** 0 picks a free port; `start()` resolves with the bound one */
  listenPort: number;
  /** drop a broker not heard from for this long, unless it registered with its own heartbeatTimeoutMillis */
  brokerChannelExpiredMs: number;
  /** how often the liveness scan runs */
  scanIntervalMs: number;
  /** ms since the epoch; inject one to test liveness */
  clock: () => number;
  /** file for the KV config table (RocketMQ's kvConfig.json); undefined keeps it in memory */
  kvConfigPath?: string;
  /** put ORDER_TOPIC_CONFIG entries into routes as orderTopicConf */
  orderMessageEnable: boolean;
  /** serve GET_ALL_TOPIC_LIST_FROM_NAMESERVER */
  enableAllTopicList: boolean;
  /** serve GET_TOPICS_BY_CLUSTER and the unit-topic lists */
  enableTopicList: boolean;
  maxFrameSize: number;
  logger?: Pick<Logger, "info" | "warn">;
}

export const defaultNameServerOptions: Readonly<NameServerOptions> = Object.freeze({
  host: "0.0.0.0",
  listenPort: 9876,
  brokerChannelExpiredMs: 120_000,
  scanIntervalMs: 5000,
  clock: () => Date.now(),
  orderMessageEnable: false,
  enableAllTopicList: true,
  enableTopicList: true,
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
});

/**
 * A nameserver: route tables behind a remoting server, plus the liveness scan. Several in one process are
 * independent; brokers register with each.
 */
export class NameServer {
  readonly routeTable: RouteTable = createRouteTable();
  readonly kvConfig: KvConfigTable;
  private readonly options: NameServerOptions;
  private readonly config: NamesrvRuntimeConfig;
  private readonly server: RemotingServer;
  private readonly watched = new Set<number>();
  private scanTimer?: ReturnType<typeof setInterval>;
  private started = false;

  constructor(options: Partial<NameServerOptions> = {}) {
    this.options = { ...defaultNameServerOptions, ...options };
    const o = this.options;
    this.kvConfig = createKvConfigTable({ path: o.kvConfigPath });
    this.config = {
      brokerChannelExpiredMs: o.brokerChannelExpiredMs,
      scanIntervalMs: o.scanIntervalMs,
      orderMessageEnable: o.orderMessageEnable,
      enableAllTopicList: o.enableAllTopicList,
      enableTopicList: o.enableTopicList,
    };
    this.server = createRemotingServer({
      host: o.host,
      port: o.listenPort,
      maxFrameSize: o.maxFrameSize,
      onError: (err, remoteAddress) => o.logger?.warn({ err, remoteAddress }, "remoting connection error"),
    });
    const context: NamesrvContext = {
      routeTable: this.routeTable,
      kvConfig: this.kvConfig,
      config: this.config,
      fixedConfig: { listenPort: o.listenPort, bindAddress: o.host, kvConfigPath: o.kvConfigPath ?? "" },
      clock: o.clock,
      watchConnection: (connection) => this.watchConnection(connection),
      configChanged: () => this.scheduleScan(),
    };
    for (const family of [
      brokerRegistrationHandlers,
      topicRouteHandlers,
      kvConfigHandlers,
      namesrvConfigHandlers,
    ]) {
      for (const [code, handler] of family(context)) this.server.handle(code, handler);
    }
  }

  /** Starts listening and the liveness scan; resolves with the bound port. */
  async start(): Promise<number> {
    const port = await this.server.start();
    this.started = true;
    this.scheduleScan();
    this.options.logger?.info({ port }, "nameserver started");
    return port;
  }

  get port(): number {
    return this.server.port;
  }

  /** Drops brokers whose heartbeat is older than their timeout (runs every scanIntervalMs). */
  scanNotActiveBroker(): BrokerIdentity[] {
    const removed = this.routeTable.scanNotActiveBroker(this.options.clock());
    for (const broker of removed) this.options.logger?.warn({ broker }, "broker expired, routes removed");
    return removed;
  }

  async close(): Promise<void> {
    this.started = false;
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.server.close();
  }

  private scheduleScan(): void {
    if (!this.started) return;
    clearInterval(this.scanTimer);
    this.scanTimer = setInterval(() => this.scanNotActiveBroker(), this.config.scanIntervalMs);
  }

  private watchConnection(connection: RemotingConnection): void {
    if (this.watched.has(connection.id)) return;
    this.watched.add(connection.id);
    connection.onClose(() => {
      this.watched.delete(connection.id);
      const removed = this.routeTable.onConnectionClosed(connection.id);
      for (const broker of removed)
        this.options.logger?.warn({ broker }, "broker connection closed, routes removed");
    });
  }
}

/**
 * @example
 * const ns = createNameServer({ host: "127.0.0.1", listenPort: 0 });
 * const port = await ns.start();
 */
export function createNameServer(options: Partial<NameServerOptions> = {}): NameServer {
  return new NameServer(options);
}
