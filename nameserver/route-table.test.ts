import { describe, expect, test } from "bun:test";
import { defaultTopicConfig, PermName, type TopicConfig } from "../proto/remoting/index.ts";
import { type BrokerRegistrationInput, createRouteTable } from "./route-table.ts";

const topic = (topicName: string, extra: Partial<TopicConfig> = {}): TopicConfig => ({
  ...defaultTopicConfig,
  topicName,
  readQueueNums: 4,
  writeQueueNums: 4,
  ...extra,
});

function broker(overrides: Partial<BrokerRegistrationInput> = {}): BrokerRegistrationInput {
  return {
    clusterName: "DefaultCluster",
    brokerName: "broker-a",
    brokerAddr: "10.0.0.1:10911",
    brokerId: 0,
    haServerAddr: "10.0.0.1:10912",
    heartbeatTimeoutMillis: 120_000,
    topicConfigTable: { TopicTest: topic("TopicTest") },
    dataVersion: { stateVersion: 0, timestamp: 1000, counter: 1 },
    filterServerList: [],
    ...overrides,
  };
}

const slaveA = broker({
  brokerId: 1,
  brokerAddr: "10.0.0.2:10911",
  haServerAddr: "10.0.0.2:10912",
  topicConfigTable: { SlaveOnly: topic("SlaveOnly") },
});

describe("route table", () => {
  test("builds a route from a master and a slave of one broker name", () => {
    const table = createRouteTable();
    expect(table.registerBroker(broker(), 0)).toEqual({});
    expect(table.registerBroker(slaveA, 0)).toEqual({
      masterAddr: "10.0.0.1:10911",
      haServerAddr: "10.0.0.1:10912",
    });
    const route = table.pickupTopicRouteData("TopicTest")!;
    expect(route.queueDatas).toEqual([
      { brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ]);
    expect(route.brokerDatas).toEqual([
      {
        cluster: "DefaultCluster",
        brokerName: "broker-a",
        brokerAddrs: { "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" },
        zoneName: null,
        enableActingMaster: false,
      },
    ]);
    // only a master's (or prime slave's) topics make routes
    expect(table.pickupTopicRouteData("SlaveOnly")).toBeUndefined();
  });

  test("a slave registering before its master learns no master address", () => {
    const table = createRouteTable();
    expect(table.registerBroker(slaveA, 0)).toEqual({});
  });

  test("moves an address to id 0 when a slave becomes master", () => {
    const table = createRouteTable();
    table.registerBroker(broker(), 0);
    table.registerBroker(slaveA, 0);
    table.unregisterBroker({
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerAddr: "10.0.0.1:10911",
      brokerId: 0,
    });
    table.registerBroker(
      { ...slaveA, brokerId: 0, dataVersion: { stateVersion: 1, timestamp: 2, counter: 1 } },
      0,
    );
    expect(table.getClusterInfo().brokerAddrTable["broker-a"].brokerAddrs).toEqual({ "0": "10.0.0.2:10911" });
  });

  test("ignores a registration for an id held by an address with a newer state version", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ dataVersion: { stateVersion: 5, timestamp: 1, counter: 1 } }), 0);
    table.registerBroker(
      broker({ brokerAddr: "10.0.0.9:10911", dataVersion: { stateVersion: 4, timestamp: 1, counter: 1 } }),
      0,
    );
    expect(table.getClusterInfo().brokerAddrTable["broker-a"].brokerAddrs).toEqual({ "0": "10.0.0.1:10911" });
    expect(table.liveBrokers().map((b) => b.brokerAddr)).toEqual(["10.0.0.1:10911"]);
  });

  test("updates queue data when the master's topic config changes", () => {
    const table = createRouteTable();
    table.registerBroker(broker(), 0);
    table.registerBroker(
      broker({
        topicConfigTable: {
          TopicTest: topic("TopicTest", { writeQueueNums: 8, readQueueNums: 8 }),
          New: topic("New"),
        },
        dataVersion: { stateVersion: 0, timestamp: 1000, counter: 2 },
      }),
      0,
    );
    expect(table.pickupTopicRouteData("TopicTest")!.queueDatas[0].writeQueueNums).toBe(8);
    expect(table.getAllTopicList()).toEqual(["New", "TopicTest"]);
  });

  test("unregistering the last address of a broker name removes its topics and cluster entry", () => {
    const table = createRouteTable();
    table.registerBroker(broker(), 0);
    table.registerBroker(slaveA, 0);
    table.registerBroker(
      broker({ brokerName: "broker-b", brokerAddr: "10.0.1.1:10911", clusterName: "Other" }),
      0,
    );
    const ids = (name: string) =>
      Object.keys(table.getClusterInfo().brokerAddrTable[name]?.brokerAddrs ?? {});

    table.unregisterBroker({
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerAddr: "10.0.0.1:10911",
      brokerId: 0,
    });
    expect(ids("broker-a")).toEqual(["1"]);
    expect(table.pickupTopicRouteData("TopicTest")!.queueDatas.map((q) => q.brokerName)).toEqual([
      "broker-a",
      "broker-b",
    ]);

    table.unregisterBroker({
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerAddr: "10.0.0.2:10911",
      brokerId: 1,
    });
    expect(table.getClusterInfo().clusterAddrTable).toEqual({ Other: ["broker-b"] });
    expect(table.pickupTopicRouteData("TopicTest")!.queueDatas.map((q) => q.brokerName)).toEqual([
      "broker-b",
    ]);

    table.unregisterBroker({
      clusterName: "Other",
      brokerName: "broker-b",
      brokerAddr: "10.0.1.1:10911",
      brokerId: 0,
    });
    expect(table.pickupTopicRouteData("TopicTest")).toBeUndefined();
    expect(table.getAllTopicList()).toEqual([]);
  });

  test("expires brokers by their own heartbeat timeout and keeps refreshed ones", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ heartbeatTimeoutMillis: 10_000 }), 0);
    table.registerBroker({ ...slaveA, heartbeatTimeoutMillis: 30_000 }, 0);
    expect(table.scanNotActiveBroker(10_000)).toEqual([]);
    expect(table.updateBrokerInfoUpdateTimestamp("DefaultCluster", "10.0.0.1:10911", 5_000)).toBe(true);
    expect(table.scanNotActiveBroker(14_000)).toEqual([]);
    expect(table.scanNotActiveBroker(15_001)).toEqual([
      { clusterName: "DefaultCluster", brokerAddr: "10.0.0.1:10911", brokerName: "broker-a", brokerId: 0 },
    ]);
    expect(table.scanNotActiveBroker(30_001)).toHaveLength(1);
    expect(table.liveBrokers()).toEqual([]);
    expect(table.getClusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
    expect(table.updateBrokerInfoUpdateTimestamp("DefaultCluster", "10.0.0.1:10911", 0)).toBe(false);
  });

  test("removes exactly the brokers of a closed connection", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ connectionId: 1 }), 0);
    table.registerBroker({ ...slaveA, connectionId: 2 }, 0);
    expect(table.onConnectionClosed(1).map((b) => b.brokerAddr)).toEqual(["10.0.0.1:10911"]);
    expect(table.onConnectionClosed(1)).toEqual([]);
    expect(table.liveBrokers().map((b) => b.brokerAddr)).toEqual(["10.0.0.2:10911"]);
  });

  test("tracks topic config versions for QUERY_DATA_VERSION", () => {
    const table = createRouteTable();
    const v = { stateVersion: 0, timestamp: 1000, counter: 1 };
    expect(table.isBrokerTopicConfigChanged("DefaultCluster", "10.0.0.1:10911", v)).toBe(true);
    table.registerBroker(broker({ dataVersion: v }), 0);
    expect(table.isBrokerTopicConfigChanged("DefaultCluster", "10.0.0.1:10911", { ...v })).toBe(false);
    expect(table.isBrokerTopicConfigChanged("DefaultCluster", "10.0.0.1:10911", { ...v, counter: 2 })).toBe(
      true,
    );
    expect(table.queryBrokerTopicConfig("DefaultCluster", "10.0.0.1:10911")).toEqual(v);
  });

  test("lists topics by cluster, system topics and unit topics", () => {
    const table = createRouteTable();
    table.registerBroker(
      broker({ topicConfigTable: { A: topic("A"), U: topic("U", { topicSysFlag: 1 }) } }),
      0,
    );
    table.registerBroker(
      broker({
        clusterName: "Other",
        brokerName: "broker-b",
        brokerAddr: "10.0.1.1:10911",
        topicConfigTable: { B: topic("B"), S: topic("S", { topicSysFlag: 2 }) },
      }),
      0,
    );
    expect(table.getTopicsByCluster("DefaultCluster")).toEqual(["A", "U"]);
    expect(table.getTopicsByCluster("Other")).toEqual(["B", "S"]);
    expect(table.getTopicsByCluster("Nope")).toEqual([]);
    const system = table.getSystemTopicList();
    expect(system.topicList.sort()).toEqual(["DefaultCluster", "Other", "broker-a", "broker-b"]);
    expect(system.brokerAddr).toBeDefined();
    expect(table.getUnitTopics("unit")).toEqual(["U"]);
    expect(table.getUnitTopics("unitSub")).toEqual(["S"]);
    expect(table.getUnitTopics("unitSubUnUnit")).toEqual(["S"]);
  });

  test("deletes a topic everywhere or in one cluster, and registers one on known brokers", () => {
    const table = createRouteTable();
    table.registerBroker(broker(), 0);
    table.registerBroker(
      broker({ clusterName: "Other", brokerName: "broker-b", brokerAddr: "10.0.1.1:10911" }),
      0,
    );
    table.deleteTopic("TopicTest", "Other");
    expect(table.pickupTopicRouteData("TopicTest")!.brokerDatas.map((b) => b.brokerName)).toEqual([
      "broker-a",
    ]);
    table.deleteTopic("TopicTest");
    expect(table.pickupTopicRouteData("TopicTest")).toBeUndefined();

    const q = { brokerName: "broker-b", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 };
    expect(table.registerTopic("Fresh", [{ ...q, brokerName: "ghost" }])).toBe(false);
    expect(table.registerTopic("Fresh", [q])).toBe(true);
    expect(table.registerTopic("Fresh", [q])).toBe(false);
    expect(table.pickupTopicRouteData("Fresh")!.queueDatas).toEqual([q]);
  });

  test("wipes and restores a broker's write permission", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ topicConfigTable: { A: topic("A"), B: topic("B") } }), 0);
    expect(table.setWritePermOfBroker("broker-a", "wipe")).toBe(2);
    expect(table.pickupTopicRouteData("A")!.queueDatas[0].perm).toBe(PermName.PERM_READ);
    expect(table.setWritePermOfBroker("broker-a", "add")).toBe(2);
    expect(table.pickupTopicRouteData("A")!.queueDatas[0].perm).toBe(
      PermName.PERM_READ | PermName.PERM_WRITE,
    );
    expect(table.setWritePermOfBroker("nobody", "wipe")).toBe(0);
  });

  test("in acting-master mode the prime slave's routes are read-only and a lost master wipes writes", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ enableActingMaster: true }), 0);
    table.registerBroker(
      { ...slaveA, enableActingMaster: true, topicConfigTable: { TopicTest: topic("TopicTest") } },
      0,
    );
    table.unregisterBroker({
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerAddr: "10.0.0.1:10911",
      brokerId: 0,
    });
    expect(table.pickupTopicRouteData("TopicTest")!.queueDatas[0].perm & PermName.PERM_WRITE).toBe(0);
  });

  test("reports filter servers per broker address", () => {
    const table = createRouteTable();
    table.registerBroker(broker({ filterServerList: ["10.0.0.1:7777"] }), 0);
    expect(table.pickupTopicRouteData("TopicTest")!.filterServerTable).toEqual({
      "10.0.0.1:10911": ["10.0.0.1:7777"],
    });
    table.registerBroker(broker({ filterServerList: [] }), 0);
    expect(table.pickupTopicRouteData("TopicTest")!.filterServerTable).toEqual({});
  });
});
