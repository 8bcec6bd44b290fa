import type { Logger } from "../../config/index.ts";
import type { Endpoints } from "../../proto/v2.ts";
import type { Backend } from "../backend/backend.ts";
import type { ClientSessions } from "../client-sessions.ts";
import type { HandleRenewer } from "../renewer.ts";
import type { SettingsPolicy } from "../settings.ts";

/** Limits the RPC handlers enforce; names and defaults follow RocketMQ's ProxyConfig. */
export interface ProxyLimits {
  maxMessageSize: number;
  maxUserPropertySize: number;
  userPropertyMaxNum: number;
  maxMessageGroupSize: number;
  maxDelayTimeMills: number;
  /** Longest orphaned_transaction_recovery_duration a producer may ask for (maxTransactionRecoverySecond). */
  maxTransactionRecoverySecond: number;
  /** Receive without invisible_duration (PushConsumer, auto_renew) uses this. */
  defaultInvisibleTimeMills: number;
  minInvisibleTimeMillsForRecv: number;
  maxInvisibleTimeMills: number;
  /** The stream must end this long before the client's deadline. */
  longPollingReserveTimeInMillis: number;
  /** Bounds of the long-polling time of one receive (grpcClientConsumer{Min,Max}LongPollingTimeoutMillis). */
  minLongPollingTimeoutMillis: number;
  maxLongPollingTimeoutMillis: number;
  /** Most messages one receive returns. */
  maxReceiveBatchSize: number;
  /**
   * Where a consumer group that never consumed a queue starts: its first retained message (true), or its end
   * (false, RocketMQ's ConsumeInitMode.MAX). RocketMQ's broker starts such a group at offset 0 while the queue's
   * first message is still in memory, so on a young topic new groups see what was sent before them; true gives
   * that behaviour everywhere.
   */
  consumeFromMinOffset: boolean;
}

export const defaultProxyLimits: Readonly<ProxyLimits> = Object.freeze({
  maxMessageSize: 4 * 1024 * 1024,
  maxUserPropertySize: 16 * 1024,
  userPropertyMaxNum: 128,
  maxMessageGroupSize: 64,
  maxDelayTimeMills: 24 * 3600 * 1000,
  maxTransactionRecoverySecond: 3600,
  defaultInvisibleTimeMills: 60_000,
  minInvisibleTimeMillsForRecv: 10_000,
  maxInvisibleTimeMills: 12 * 3600 * 1000,
  longPollingReserveTimeInMillis: 100,
  minLongPollingTimeoutMillis: 5000,
  maxLongPollingTimeoutMillis: 20_000,
  maxReceiveBatchSize: 32,
  consumeFromMinOffset: true,
});

/** Everything an RPC handler may use; built once per proxy. */
export interface RpcEnv {
  backend: Backend;
  sessions: ClientSessions;
  renewer: HandleRenewer;
  limits: ProxyLimits;
  settingsPolicy: SettingsPolicy;
  /** This proxy's own gRPC endpoint (advertisedAddress:grpcServerPort), returned by QueryRoute. */
  endpoints: () => Endpoints;
  logger: Logger;
  now: () => number;
}
