import type { RemotingConnection, RemotingHandler } from "../../proto/remoting/index.ts";
import type { KvConfigTable } from "../kv-config-table.ts";
import type { RouteTable } from "../route-table.ts";

/** Settings UPDATE_NAMESRV_CONFIG may change at run time (Java names in the properties body). */
export interface NamesrvRuntimeConfig {
  /** brokerChannelExpiredTime: default heartbeat timeout for brokers that do not send their own */
  brokerChannelExpiredMs: number;
  /** scanNotActiveBrokerInterval */
  scanIntervalMs: number;
  /** orderMessageEnable: put ORDER_TOPIC_CONFIG entries into routes as orderTopicConf */
  orderMessageEnable: boolean;
  enableAllTopicList: boolean;
  enableTopicList: boolean;
}

/** What the handler families share: the tables, the clock and a few hooks into the server. */
export interface NamesrvContext {
  readonly routeTable: RouteTable;
  readonly kvConfig: KvConfigTable;
  readonly config: NamesrvRuntimeConfig;
  /** settings fixed at start, shown by GET_NAMESRV_CONFIG */
  readonly fixedConfig: Readonly<Record<string, string | number>>;
  clock(): number;
  /** drop the brokers registered over `connection` when it closes (idempotent) */
  watchConnection(connection: RemotingConnection): void;
  /** called after UPDATE_NAMESRV_CONFIG changed the runtime config */
  configChanged(): void;
}

export type HandlerTable = ReadonlyArray<readonly [code: number, handler: RemotingHandler]>;

/** KV namespace whose entries are per-topic order configs ("brokerName:queueNum;..."). */
export const NAMESPACE_ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG";
