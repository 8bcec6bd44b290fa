/** The nameserver role: route tables, liveness, and the remoting handlers that serve them. See README.md. */
export {
  createNameServer,
  defaultNameServerOptions,
  NameServer,
  type NameServerOptions,
} from "./name-server.ts";
export type { BrokerIdentity, BrokerLiveInfo, RouteTable } from "./route-table.ts";
