/**
 * The proxy: apache.rocketmq.v2 MessagingService for RocketMQ 5 gRPC clients (native gRPC on node:http2) and
 * browsers (Connect, gRPC-Web, Connect JSON on Bun.serve), over a Local (in-process broker) or Cluster
 * (remoting) backend. See README.md.
 */
export type * from "./backend/backend.ts";
export {
  type ClusterBackendOptions,
  createClusterBackend,
  defaultClusterBackendTiming,
} from "./backend/cluster.ts";
export { createLocalBackend, type LocalBackendOptions } from "./backend/local.ts";
export {
  createProxy,
  defaultProxyConfig,
  type ProxyConfig,
  type ProxyOptions,
  ProxyServer,
} from "./proxy.ts";
export { defaultProxyLimits, type ProxyLimits } from "./rpc/env.ts";
export { defaultSettingsPolicy, type SettingsPolicy } from "./settings.ts";
export { statusOf, toConnectCode, toV2Code } from "./status.ts";
