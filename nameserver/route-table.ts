import {
  type BrokerData,
  type ClusterInfo,
  type DataVersion,
  MASTER_ID,
  PermName,
  type QueueData,
  type TopicConfig,
  type TopicList,
  type TopicRouteData,
} from "../proto/remoting/index.ts";

/*
 * The nameserver's route state, in RocketMQ's named tables (RouteInfoManager), network-free:
 * - topicQueueTable:   topic -> brokerName -> QueueData
 * - brokerAddrTable:   brokerName -> cluster, brokerId -> addr
 * - clusterAddrTable:  clusterName -> brokerNames
 * - brokerLiveTable:   (clusterName, brokerAddr) -> last heartbeat, timeout, topic config version, connection id
 * - filterServerTable: (clusterName, brokerAddr) -> filter server addrs
 * Time comes in as `now` arguments so liveness is tested with an injected clock.
 */

/** TopicSysFlag bits used by the unit-topic queries. */
const FLAG_UNIT = 0x1;
const FLAG_UNIT_SUB = 0x2;

interface BrokerEntry {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
  enableActingMaster: boolean;
}

export interface BrokerLiveInfo {
  clusterName: string;
  brokerAddr: string;
  lastUpdateTimestamp: number;
  heartbeatTimeoutMillis: number;
  dataVersion: DataVersion;
  haServerAddr: string;
  /** id of the remoting connection the broker registered on; its close removes the broker */
  connectionId?: number;
}

export interface BrokerRegistrationInput {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  heartbeatTimeoutMillis: number;
  /** undefined = an old broker that does not know about acting masters */
  enableActingMaster?: boolean;
  topicConfigTable: Readonly<Record<string, TopicConfig>>;
  dataVersion: DataVersion;
  filterServerList: readonly string[];
  connectionId?: number;
}

export interface RegisterBrokerResult {
  masterAddr?: string;
  haServerAddr?: string;
}

export interface BrokerIdentity {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

const liveKey = (clusterName: string, brokerAddr: string) => `${clusterName}\u0000${brokerAddr}`;

const sameVersion = (a: DataVersion, b: DataVersion) =>
  a.stateVersion === b.stateVersion && a.timestamp === b.timestamp && a.counter === b.counter;

function toBrokerData(entry: BrokerEntry): BrokerData {
  const brokerAddrs: Record<string, string> = {};
  for (const id of [...entry.brokerAddrs.keys()].sort((a, b) => a - b)) {
    brokerAddrs[String(id)] = entry.brokerAddrs.get(id)!;
  }
  return {
    cluster: entry.cluster,
    brokerName: entry.brokerName,
    brokerAddrs,
    zoneName: null,
    enableActingMaster: entry.enableActingMaster,
  };
}

const byBrokerName = (a: { brokerName: string }, b: { brokerName: string }) =>
  a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0;

export type RouteTable = ReturnType<typeof createRouteTable>;

export function createRouteTable() {
  const topicQueueTable = new Map<string, Map<string, QueueData>>();
  const brokerAddrTable = new Map<string, BrokerEntry>();
  const clusterAddrTable = new Map<string, Set<string>>();
  const brokerLiveTable = new Map<string, BrokerLiveInfo>();
  const filterServerTable = new Map<string, readonly string[]>();

  function isBrokerTopicConfigChanged(
    clusterName: string,
    brokerAddr: string,
    dataVersion: DataVersion,
  ): boolean {
    const prev = brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    return !prev || !sameVersion(prev.dataVersion, dataVersion);
  }

  function createAndUpdateQueueData(brokerName: string, config: TopicConfig, perm: number): void {
    let queues = topicQueueTable.get(config.topicName);
    if (!queues) {
      queues = new Map();
      topicQueueTable.set(config.topicName, queues);
    }
    queues.set(brokerName, {
      brokerName,
      readQueueNums: config.readQueueNums,
      writeQueueNums: config.writeQueueNums,
      perm,
      topicSysFlag: config.topicSysFlag,
    });
  }

  function registerBroker(input: BrokerRegistrationInput, now: number): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId } = input;
    let names = clusterAddrTable.get(clusterName);
    if (!names) {
      names = new Set();
      clusterAddrTable.set(clusterName, names);
    }
    names.add(brokerName);

    let entry = brokerAddrTable.get(brokerName);
    let registerFirst = false;
    if (!entry) {
      registerFirst = true;
      entry = { cluster: clusterName, brokerName, brokerAddrs: new Map(), enableActingMaster: false };
      brokerAddrTable.set(brokerName, entry);
    }
    entry.enableActingMaster = input.enableActingMaster === true;
    const addrs = entry.brokerAddrs;

    // A slave promoted to master re-registers its address under id 0: one address, one id.
    for (const [id, addr] of addrs) if (addr === brokerAddr && id !== brokerId) addrs.delete(id);

    // Another address holding this id with a newer state version wins; this registration is ignored.
    const oldAddr = addrs.get(brokerId);
    if (oldAddr !== undefined && oldAddr !== brokerAddr) {
      const oldLive = brokerLiveTable.get(liveKey(clusterName, oldAddr));
      if (oldLive && oldLive.dataVersion.stateVersion > input.dataVersion.stateVersion) {
        brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
        return {};
      }
    }

    addrs.set(brokerId, brokerAddr);
    registerFirst ||= oldAddr === undefined;

    const isMaster = brokerId === MASTER_ID;
    const isPrimeSlave =
      input.enableActingMaster !== undefined && !isMaster && brokerId === Math.min(...addrs.keys());
    if (isMaster || isPrimeSlave) {
      const changed = isBrokerTopicConfigChanged(clusterName, brokerAddr, input.dataVersion);
      for (const config of Object.values(input.topicConfigTable)) {
        const known = topicQueueTable.get(config.topicName)?.has(brokerName) ?? false;
        if (registerFirst || changed || !known) {
          // a prime slave serves reads only
          const perm = isPrimeSlave ? config.perm & ~PermName.PERM_WRITE : config.perm;
          createAndUpdateQueueData(brokerName, config, perm);
        }
      }
    }

    const key = liveKey(clusterName, brokerAddr);
    brokerLiveTable.set(key, {
      clusterName,
      brokerAddr,
      lastUpdateTimestamp: now,
      heartbeatTimeoutMillis: input.heartbeatTimeoutMillis,
      dataVersion: { ...input.dataVersion },
      haServerAddr: input.haServerAddr,
      ...(input.connectionId !== undefined ? { connectionId: input.connectionId } : {}),
    });
    if (input.filterServerList.length > 0) filterServerTable.set(key, [...input.filterServerList]);
    else filterServerTable.delete(key);

    if (!isMaster) {
      const masterAddr = addrs.get(MASTER_ID);
      const masterLive = masterAddr ? brokerLiveTable.get(liveKey(clusterName, masterAddr)) : undefined;
      if (masterAddr && masterLive) return { masterAddr, haServerAddr: masterLive.haServerAddr };
    }
    return {};
  }

  function unregisterBroker(b: BrokerIdentity): void {
    const key = liveKey(b.clusterName, b.brokerAddr);
    brokerLiveTable.delete(key);
    filterServerTable.delete(key);

    const entry = brokerAddrTable.get(b.brokerName);
    if (!entry) return;
    for (const [id, addr] of entry.brokerAddrs) if (addr === b.brokerAddr) entry.brokerAddrs.delete(id);

    if (entry.brokerAddrs.size === 0) {
      brokerAddrTable.delete(b.brokerName);
      const names = clusterAddrTable.get(b.clusterName);
      if (names) {
        names.delete(b.brokerName);
        if (names.size === 0) clusterAddrTable.delete(b.clusterName);
      }
      for (const [topic, queues] of topicQueueTable) {
        queues.delete(b.brokerName);
        if (queues.size === 0) topicQueueTable.delete(topic);
      }
    } else if (entry.enableActingMaster && !entry.brokerAddrs.has(MASTER_ID)) {
      // acting-master mode: with the master gone, the remaining replicas take no writes
      for (const queues of topicQueueTable.values()) {
        const q = queues.get(b.brokerName);
        if (q) q.perm &= ~PermName.PERM_WRITE;
      }
    }
  }

  /** The broker (name and id) registered at (clusterName, brokerAddr), as unregister needs it. */
  function identify(clusterName: string, brokerAddr: string): BrokerIdentity | undefined {
    for (const entry of brokerAddrTable.values()) {
      if (entry.cluster !== clusterName) continue;
      for (const [brokerId, addr] of entry.brokerAddrs) {
        if (addr === brokerAddr) return { clusterName, brokerAddr, brokerName: entry.brokerName, brokerId };
      }
    }
    return undefined;
  }

  function removeLive(info: BrokerLiveInfo): BrokerIdentity {
    const identity = identify(info.clusterName, info.brokerAddr);
    if (identity) {
      unregisterBroker(identity);
      return identity;
    }
    const key = liveKey(info.clusterName, info.brokerAddr);
    brokerLiveTable.delete(key);
    filterServerTable.delete(key);
    return { clusterName: info.clusterName, brokerAddr: info.brokerAddr, brokerName: "", brokerId: -1 };
  }

  return {
    registerBroker,
    unregisterBroker,
    isBrokerTopicConfigChanged,

    /** The topic config version the broker last registered, if it is live. */
    queryBrokerTopicConfig(clusterName: string, brokerAddr: string): DataVersion | undefined {
      return brokerLiveTable.get(liveKey(clusterName, brokerAddr))?.dataVersion;
    },

    /** Refreshes a live broker's heartbeat; false if it is not registered. */
    updateBrokerInfoUpdateTimestamp(clusterName: string, brokerAddr: string, now: number): boolean {
      const live = brokerLiveTable.get(liveKey(clusterName, brokerAddr));
      if (!live) return false;
      live.lastUpdateTimestamp = now;
      return true;
    },

    /** Removes brokers not heard from within their heartbeat timeout; returns who was removed. */
    scanNotActiveBroker(now: number): BrokerIdentity[] {
      const expired = [...brokerLiveTable.values()].filter(
        (live) => live.lastUpdateTimestamp + live.heartbeatTimeoutMillis < now,
      );
      return expired.map(removeLive);
    },

    /** Removes every broker that registered over the connection that just closed. */
    onConnectionClosed(connectionId: number): BrokerIdentity[] {
      const gone = [...brokerLiveTable.values()].filter((live) => live.connectionId === connectionId);
      return gone.map(removeLive);
    },

    liveBrokers(): BrokerLiveInfo[] {
      return [...brokerLiveTable.values()].map((live) => ({ ...live, dataVersion: { ...live.dataVersion } }));
    },

    /** The route of `topic`, or undefined when no live broker serves it. */
    pickupTopicRouteData(topic: string): TopicRouteData | undefined {
      const queues = topicQueueTable.get(topic);
      if (!queues || queues.size === 0) return undefined;
      const brokerDatas: BrokerData[] = [];
      const filterServer: Record<string, string[]> = {};
      for (const brokerName of queues.keys()) {
        const entry = brokerAddrTable.get(brokerName);
        if (!entry) continue;
        const data = toBrokerData(entry);
        brokerDatas.push(data);
        for (const addr of Object.values(data.brokerAddrs)) {
          const filters = filterServerTable.get(liveKey(entry.cluster, addr));
          if (filters) filterServer[addr] = [...filters];
        }
      }
      if (brokerDatas.length === 0) return undefined;
      return {
        orderTopicConf: null,
        queueDatas: [...queues.values()].map((q) => ({ ...q })).sort(byBrokerName),
        brokerDatas: brokerDatas.sort(byBrokerName),
        filterServerTable: filterServer,
        topicQueueMappingByBroker: null,
      };
    },

    getClusterInfo(): ClusterInfo {
      const brokers: Record<string, BrokerData> = {};
      for (const [name, entry] of brokerAddrTable) brokers[name] = toBrokerData(entry);
      const clusters: Record<string, string[]> = {};
      for (const [name, set] of clusterAddrTable) clusters[name] = [...set].sort();
      return { brokerAddrTable: brokers, clusterAddrTable: clusters };
    },

    getAllTopicList(): string[] {
      return [...topicQueueTable.keys()].sort();
    },

    /** Topics with queues on any broker of `cluster`. */
    getTopicsByCluster(cluster: string): string[] {
      const names = clusterAddrTable.get(cluster);
      if (!names) return [];
      const topics: string[] = [];
      for (const [topic, queues] of topicQueueTable) {
        if ([...names].some((name) => queues.has(name))) topics.push(topic);
      }
      return topics.sort();
    },

    /** RocketMQ counts cluster and broker names as system topics; brokerAddr is any broker's address. */
    getSystemTopicList(): TopicList {
      const topicList: string[] = [];
      for (const [cluster, names] of clusterAddrTable) topicList.push(cluster, ...names);
      const list: TopicList = { topicList };
      for (const entry of brokerAddrTable.values()) {
        const first = entry.brokerAddrs.values().next();
        if (!first.done) {
          list.brokerAddr = first.value;
          break;
        }
      }
      return list;
    },

    /** Topics whose queues carry unit flags: "unit" (FLAG_UNIT), "unitSub" (FLAG_UNIT_SUB), "unitSubUnUnit". */
    getUnitTopics(kind: "unit" | "unitSub" | "unitSubUnUnit"): string[] {
      const match = (flag: number) =>
        kind === "unit"
          ? (flag & FLAG_UNIT) !== 0
          : kind === "unitSub"
            ? (flag & FLAG_UNIT_SUB) !== 0
            : (flag & FLAG_UNIT) === 0 && (flag & FLAG_UNIT_SUB) !== 0;
      const topics: string[] = [];
      for (const [topic, queues] of topicQueueTable) {
        const first = queues.values().next();
        if (!first.done && match(first.value.topicSysFlag)) topics.push(topic);
      }
      return topics.sort();
    },

    /** Removes a topic's route, from every broker or only from those of `clusterName`. */
    deleteTopic(topic: string, clusterName?: string): void {
      if (clusterName === undefined) {
        topicQueueTable.delete(topic);
        return;
      }
      const names = clusterAddrTable.get(clusterName);
      const queues = topicQueueTable.get(topic);
      if (!names || !queues) return;
      for (const name of names) queues.delete(name);
      if (queues.size === 0) topicQueueTable.delete(topic);
    },

    /** REGISTER_TOPIC_IN_NAMESRV: adds a route for a topic not known yet, on registered brokers only. */
    registerTopic(topic: string, queueDatas: readonly QueueData[]): boolean {
      if (queueDatas.length === 0 || topicQueueTable.has(topic)) return false;
      if (queueDatas.some((q) => !brokerAddrTable.has(q.brokerName))) return false;
      topicQueueTable.set(topic, new Map(queueDatas.map((q) => [q.brokerName, { ...q }])));
      return true;
    },

    /** Clears (wipe) or restores (add: read+write) the write permission of a broker's queues; returns topics touched. */
    setWritePermOfBroker(brokerName: string, mode: "wipe" | "add"): number {
      let count = 0;
      for (const queues of topicQueueTable.values()) {
        const q = queues.get(brokerName);
        if (!q) continue;
        q.perm = mode === "wipe" ? q.perm & ~PermName.PERM_WRITE : PermName.PERM_READ | PermName.PERM_WRITE;
        count++;
      }
      return count;
    },

    /** brokerId -> addr of one broker name (empty when unknown). */
    getBrokerMemberGroup(brokerName: string): Record<string, string> {
      const entry = brokerAddrTable.get(brokerName);
      return entry ? toBrokerData(entry).brokerAddrs : {};
    },
  };
}
