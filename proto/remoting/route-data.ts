import { bodyReader, decodeJsonBody } from "./json-body.ts";

/*
 * Route and registration bodies exchanged with the nameserver (RocketMQ's TopicRouteData, QueueData, BrokerData,
 * ClusterInfo, TopicList, KVTable, DataVersion, TopicConfig), as plain objects with their Java field names.
 */

/** PermName bits of a queue's `perm`. */
export const PermName = { PERM_PRIORITY: 8, PERM_READ: 4, PERM_WRITE: 2, PERM_INHERIT: 1 } as const;

/** brokerId of a master in `brokerAddrs`; slaves are >= 1. */
export const MASTER_ID = 0;

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId (as a decimal string key) -> "ip:port"; "0" is the master. */
  brokerAddrs: Record<string, string>;
  zoneName: string | null;
  enableActingMaster: boolean;
}

export interface TopicRouteData {
  orderTopicConf: string | null;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** broker addr -> filter server addrs */
  filterServerTable: Record<string, string[]>;
  topicQueueMappingByBroker: Record<string, unknown> | null;
}

export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

export interface TopicList {
  topicList: string[];
  brokerAddr?: string;
}

export interface KVTable {
  table: Record<string, string>;
}

/** Version of a broker's topic config table; the nameserver compares it to skip unchanged registrations. */
export interface DataVersion {
  stateVersion: number;
  timestamp: number;
  counter: number;
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  attributes?: Record<string, string>;
}

/** Java TopicConfig's defaults, used for fields a peer leaves out. */
export const defaultTopicConfig: Readonly<Omit<TopicConfig, "topicName">> = Object.freeze({
  readQueueNums: 16,
  writeQueueNums: 16,
  perm: PermName.PERM_READ | PermName.PERM_WRITE,
  topicFilterType: "SINGLE_TAG",
  topicSysFlag: 0,
  order: false,
});

type Reader = ReturnType<typeof bodyReader>;

export function readDataVersion(r: Reader, v: unknown, path: string): DataVersion {
  const o = r.object(v, path, {});
  return {
    stateVersion: r.number(o.stateVersion, `${path}.stateVersion`, 0),
    timestamp: r.number(o.timestamp, `${path}.timestamp`, 0),
    counter: r.number(o.counter, `${path}.counter`, 0),
  };
}

export function readTopicConfig(r: Reader, v: unknown, path: string, name?: string): TopicConfig {
  const o = r.object(v, path);
  const d = defaultTopicConfig;
  const config: TopicConfig = {
    topicName: r.string(o.topicName, `${path}.topicName`, name),
    readQueueNums: r.number(o.readQueueNums, `${path}.readQueueNums`, d.readQueueNums),
    writeQueueNums: r.number(o.writeQueueNums, `${path}.writeQueueNums`, d.writeQueueNums),
    perm: r.number(o.perm, `${path}.perm`, d.perm),
    topicFilterType: r.string(o.topicFilterType, `${path}.topicFilterType`, d.topicFilterType),
    topicSysFlag: r.number(o.topicSysFlag, `${path}.topicSysFlag`, d.topicSysFlag),
    order: r.boolean(o.order, `${path}.order`, d.order),
  };
  if (o.attributes !== undefined && o.attributes !== null) {
    const attrs = r.object(o.attributes, `${path}.attributes`);
    config.attributes = Object.fromEntries(
      Object.entries(attrs).map(([k, a]) => [k, r.string(a, `${path}.attributes.${k}`)]),
    );
  }
  return config;
}

function readBrokerData(r: Reader, v: unknown, path: string): BrokerData {
  const o = r.object(v, path);
  const addrs = r.object(o.brokerAddrs, `${path}.brokerAddrs`, {});
  return {
    cluster: r.string(o.cluster, `${path}.cluster`, ""),
    brokerName: r.string(o.brokerName, `${path}.brokerName`),
    brokerAddrs: Object.fromEntries(
      Object.entries(addrs).map(([id, addr]) => [id, r.string(addr, `${path}.brokerAddrs.${id}`)]),
    ),
    zoneName:
      o.zoneName === undefined || o.zoneName === null ? null : r.string(o.zoneName, `${path}.zoneName`),
    enableActingMaster: r.boolean(o.enableActingMaster, `${path}.enableActingMaster`, false),
  };
}

function readQueueData(r: Reader, v: unknown, path: string): QueueData {
  const o = r.object(v, path);
  return {
    brokerName: r.string(o.brokerName, `${path}.brokerName`),
    readQueueNums: r.number(o.readQueueNums, `${path}.readQueueNums`),
    writeQueueNums: r.number(o.writeQueueNums, `${path}.writeQueueNums`),
    perm: r.number(o.perm, `${path}.perm`),
    topicSysFlag: r.number(o.topicSysFlag, `${path}.topicSysFlag`, 0),
  };
}

/** GET_ROUTEINFO_BY_TOPIC response body (standard or fastjson JSON). */
export function decodeTopicRouteData(body: Uint8Array | undefined): TopicRouteData {
  const r = bodyReader("TopicRouteData");
  const o = r.object(decodeJsonBody(body, "TopicRouteData"), "$");
  const filters = r.object(o.filterServerTable, "filterServerTable", {});
  return {
    orderTopicConf:
      o.orderTopicConf === undefined || o.orderTopicConf === null
        ? null
        : r.string(o.orderTopicConf, "orderTopicConf"),
    queueDatas: r
      .array(o.queueDatas, "queueDatas", [])
      .map((q, i) => readQueueData(r, q, `queueDatas[${i}]`)),
    brokerDatas: r
      .array(o.brokerDatas, "brokerDatas", [])
      .map((b, i) => readBrokerData(r, b, `brokerDatas[${i}]`)),
    filterServerTable: Object.fromEntries(
      Object.entries(filters).map(([addr, list]) => [
        addr,
        r.array(list, `filterServerTable.${addr}`, []).map((s) => r.string(s, `filterServerTable.${addr}[]`)),
      ]),
    ),
    topicQueueMappingByBroker:
      o.topicQueueMappingByBroker === undefined || o.topicQueueMappingByBroker === null
        ? null
        : r.object(o.topicQueueMappingByBroker, "topicQueueMappingByBroker"),
  };
}

/** GET_BROKER_CLUSTER_INFO response body. */
export function decodeClusterInfo(body: Uint8Array | undefined): ClusterInfo {
  const r = bodyReader("ClusterInfo");
  const o = r.object(decodeJsonBody(body, "ClusterInfo"), "$");
  const brokers = r.object(o.brokerAddrTable, "brokerAddrTable", {});
  const clusters = r.object(o.clusterAddrTable, "clusterAddrTable", {});
  return {
    brokerAddrTable: Object.fromEntries(
      Object.entries(brokers).map(([name, b]) => [name, readBrokerData(r, b, `brokerAddrTable.${name}`)]),
    ),
    clusterAddrTable: Object.fromEntries(
      Object.entries(clusters).map(([name, list]) => [
        name,
        r.array(list, `clusterAddrTable.${name}`).map((s) => r.string(s, `clusterAddrTable.${name}[]`)),
      ]),
    ),
  };
}

/** TopicList body (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, ...). */
export function decodeTopicList(body: Uint8Array | undefined): TopicList {
  const r = bodyReader("TopicList");
  const o = r.object(decodeJsonBody(body, "TopicList"), "$");
  const list: TopicList = {
    topicList: r.array(o.topicList, "topicList", []).map((s) => r.string(s, "topicList[]")),
  };
  if (typeof o.brokerAddr === "string") list.brokerAddr = o.brokerAddr;
  return list;
}

/** KVTable body (GET_KVLIST_BY_NAMESPACE, REGISTER_BROKER response). */
export function decodeKVTable(body: Uint8Array | undefined): KVTable {
  const r = bodyReader("KVTable");
  const o = r.object(decodeJsonBody(body, "KVTable"), "$");
  const table = r.object(o.table, "table", {});
  return {
    table: Object.fromEntries(Object.entries(table).map(([k, v]) => [k, r.string(v, `table.${k}`)])),
  };
}

/** DataVersion body (QUERY_DATA_VERSION request and response). */
export function decodeDataVersion(body: Uint8Array | undefined): DataVersion {
  const r = bodyReader("DataVersion");
  return readDataVersion(r, decodeJsonBody(body, "DataVersion"), "$");
}
