import { bool, int, oneOf, str } from "./schema.ts";

/**
 * The keys each role understands, named as in RocketMQ (broker.conf: BrokerConfig + MessageStoreConfig;
 * rmq-proxy.json: ProxyConfig; namesrv.conf: NamesrvConfig) so existing files keep working. `$BUNMQ_HOME`
 * paths are resolved by the loader.
 */

const port = (def: number, doc: string) => int(def, { min: 0, max: 65535, doc });

export const nameServerSchema = {
  listenPort: port(9876, "remoting port"),
  bindAddress: str("0.0.0.0", "interface to listen on"),
  scanNotActiveBrokerInterval: int(5000, { min: 100, doc: "ms between liveness scans" }),
  brokerChannelExpiredTime: int(120_000, {
    min: 1000,
    doc: "ms without a heartbeat before a broker is dropped",
  }),
  orderMessageEnable: bool(false),
  kvConfigPath: str("$BUNMQ_HOME/namesrv/kvConfig.json", "KV config table file; empty keeps it in memory"),
} as const;

export const brokerSchema = {
  brokerClusterName: str("DefaultCluster"),
  brokerName: str("broker-a"),
  brokerId: int(0, { min: 0, doc: "0 = master, > 0 = slave" }),
  brokerIP1: str("127.0.0.1", "address published to the nameserver and stamped into message ids"),
  bindAddress: str("0.0.0.0", "interface to listen on"),
  namesrvAddr: str("", "nameservers, separated by ';'"),
  listenPort: port(10911, "remoting port"),
  haListenPort: port(10912, "replication port"),
  storePathRootDir: str("$BUNMQ_HOME/store"),
  storePathCommitLog: str("", "defaults to <storePathRootDir>/commitlog"),
  brokerRole: oneOf(["ASYNC_MASTER", "SYNC_MASTER", "SLAVE"] as const, "ASYNC_MASTER"),
  flushDiskType: oneOf(["ASYNC_FLUSH", "SYNC_FLUSH"] as const, "ASYNC_FLUSH"),
  flushIntervalCommitLog: int(500, { min: 1, doc: "ms between flushes in ASYNC_FLUSH" }),
  transientStorePoolEnable: bool(
    false,
    "ASYNC_FLUSH: write records through append buffers and pwrite instead of into the CommitLog segment's mapping",
  ),
  mappedFileSizeCommitLog: int(1024 * 1024 * 1024, { min: 4096 }),
  mappedFileSizeConsumeQueue: int(300_000 * 20, { min: 20 }),
  maxMessageSize: int(4 * 1024 * 1024, { min: 1024, doc: "max body bytes" }),
  deleteWhen: str("04", "hours (HH;HH) when expired files are deleted"),
  fileReservedTime: int(72, { min: 0, doc: "hours a CommitLog segment is kept" }),
  diskMaxUsedSpaceRatio: int(75, { min: 10, max: 95 }),
  checkCRCOnRecover: bool(true),
  autoCreateTopicEnable: bool(true),
  autoCreateSubscriptionGroup: bool(true),
  defaultTopicQueueNums: int(8, { min: 1, max: 1024 }),
  brokerPermission: int(6, { min: 0, max: 7 }),
  longPollingEnable: bool(true),
  enablePropertyFilter: bool(true, "allow SQL92 subscriptions"),
  messageDelayLevel: str("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"),
  timerMaxDelaySec: int(3 * 24 * 3600, { min: 1 }),
  transactionTimeOut: int(6000, { min: 0, doc: "ms before a half message is first checked" }),
  transactionCheckMax: int(15, { min: 1 }),
  transactionCheckInterval: int(30_000, { min: 100 }),
  registerBrokerTimeoutMills: int(24_000, { min: 100 }),
  registerNameServerPeriod: int(30_000, { min: 1000 }),
  maxReconsumeTimes: int(16, { min: 0, doc: "default for new subscription groups" }),
  enableControllerMode: bool(false),
  controllerAddr: str(""),
} as const;

export const proxySchema = {
  rocketMQClusterName: str("DefaultCluster"),
  proxyName: str(""),
  proxyMode: oneOf(["LOCAL", "CLUSTER"] as const, "CLUSTER"),
  namesrvAddr: str("127.0.0.1:9876"),
  bindAddress: str("0.0.0.0"),
  advertisedAddress: str("127.0.0.1", "host put into QueryRoute endpoints"),
  grpcServerPort: port(8081, "gRPC over HTTP/2 cleartext"),
  httpServerPort: port(8082, "Connect, gRPC-Web and Connect JSON over HTTP/1.1"),
  grpcMaxInboundMessageSize: int(130 * 1024 * 1024, { min: 1024 }),
  maxMessageSize: int(4 * 1024 * 1024, { min: 1024 }),
  maxUserPropertySize: int(16 * 1024, { min: 1 }),
  userPropertyMaxNum: int(128, { min: 1 }),
  maxMessageGroupSize: int(64, { min: 1 }),
  maxDelayTimeMills: int(24 * 3600 * 1000, { min: 1000 }),
  defaultInvisibleTimeMills: int(60_000, { min: 1000 }),
  minInvisibleTimeMillsForRecv: int(10_000, { min: 0 }),
  maxInvisibleTimeMills: int(12 * 3600 * 1000, { min: 1000 }),
  longPollingReserveTimeInMillis: int(100, { min: 0 }),
  grpcClientIdleTimeMills: int(120_000, { min: 1000 }),
  routeRefreshIntervalMills: int(20_000, { min: 100 }),
} as const;

export const controllerSchema = {
  listenPort: port(9878, "remoting port"),
  bindAddress: str("0.0.0.0"),
  advertisedAddress: str(
    "",
    "host:port brokers are told to use; empty = bindAddress:listenPort (127.0.0.1 for 0.0.0.0)",
  ),
  redisAddr: str("127.0.0.1:6379", "shared state: host:port or a redis:// URL"),
  redisKeyPrefix: str("bunmq:controller:", "namespace of the controller's Redis keys"),
  scanNotActiveBrokerInterval: int(5000, {
    min: 100,
    doc: "ms between scans for masters whose lease expired",
  }),
  brokerHeartbeatTimeoutMillis: int(10_000, {
    min: 100,
    doc: "ms a broker stays alive after a heartbeat that carries no heartbeatTimeoutMills",
  }),
  enableElectUncleanMaster: bool(
    false,
    "elect outside the SyncStateSet when no member is alive (may lose messages)",
  ),
  notifyBrokerRoleChanged: bool(true, "push NOTIFY_BROKER_ROLE_CHANGED to live brokers after an election"),
  electMasterMaxRetryCount: int(3, { min: 1 }),
} as const;

export type RoleName = "nameserver" | "broker" | "proxy" | "controller";
