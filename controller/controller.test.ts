import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  createRemotingClient,
  createRequest,
  decodeJsonBody,
  encodeJsonBody,
  type HeaderValues,
  type RemotingClient,
  type RemotingCommand,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { ControllerTestBroker } from "../tests/controller-broker.ts";
import { type RedisServerHandle, startRedisServer } from "../tests/redis.ts";
import {
  type BrokerReplicasInfo,
  type Controller,
  type ControllerOptions,
  createController,
  createMemoryLeaseStore,
  decodeElectMasterBody,
  decodeSyncStateSet,
  encodeSyncStateSet,
} from "./index.ts";

let redis: RedisServerHandle;
let prefixes = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  deadlineMs = 5000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

async function startController(options: Partial<ControllerOptions> = {}): Promise<Controller> {
  const controller = createController({
    host: "127.0.0.1",
    listenPort: 0,
    redisAddr: redis.addr,
    redisKeyPrefix: `t${++prefixes}:`,
    scanIntervalMs: 60_000, // tests that want the scan lower it
    ...options,
  });
  await controller.start();
  cleanups.push(() => controller.close());
  return controller;
}

async function startBrokers(n: number, brokerName = "broker-a"): Promise<ControllerTestBroker[]> {
  const brokers: ControllerTestBroker[] = [];
  for (let i = 0; i < n; i++) {
    const broker = await ControllerTestBroker.start(brokerName);
    cleanups.push(() => broker.close());
    brokers.push(broker);
  }
  return brokers;
}

function newClient(): RemotingClient {
  const client = createRemotingClient({ connectTimeoutMs: 1000, requestTimeoutMs: 3000 });
  cleanups.push(() => client.close());
  return client;
}

function call(
  client: RemotingClient,
  addr: string,
  code: number,
  fields?: HeaderValues,
  body?: Uint8Array,
): Promise<RemotingCommand> {
  return client.invoke(addr, createRequest(code, fields, body));
}

const replicaInfo = (client: RemotingClient, addr: string, brokerName = "broker-a") =>
  call(client, addr, RequestCode.CONTROLLER_GET_REPLICA_INFO, { brokerName });

const alter = (
  client: RemotingClient,
  addr: string,
  master: { brokerId: number; masterEpoch: number },
  syncStateSet: number[],
  syncStateSetEpoch: number,
) =>
  call(
    client,
    addr,
    RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET,
    { brokerName: "broker-a", masterBrokerId: master.brokerId, masterEpoch: master.masterEpoch },
    encodeSyncStateSet({ syncStateSet, syncStateSetEpoch }),
  );

describe("controller over sockets and Redis", () => {
  test("three replicas: first master at epoch 1, SyncStateSet grows, master dies, a fenced new master at epoch 2", async () => {
    const controller = await startController({ scanIntervalMs: 40 });
    const addr = controller.address;
    const [b1, b2, b3] = await startBrokers(3);
    const client = newClient();

    // registration flow: persistent ids 1, 2, 3; nobody is master yet
    for (const broker of [b1, b2, b3]) {
      const registered = await broker.register(addr);
      expect(registered.code).toBe(ResponseCode.SUCCESS);
      expect(registered.extFields.masterBrokerId).toBeUndefined();
    }
    expect([b1.brokerId, b2.brokerId, b3.brokerId]).toEqual([1, 2, 3]);
    b2.progress = { epoch: 1, maxOffset: 100, confirmOffset: 100, electionPriority: 1 };
    b3.progress = { epoch: 1, maxOffset: 200, confirmOffset: 100, electionPriority: 1 };
    for (const broker of [b1, b2, b3]) await broker.startHeartbeats([addr], 30, 400);

    // the first broker to ask becomes master
    const first = await b1.elect(addr);
    expect(first.code).toBe(ResponseCode.SUCCESS);
    expect(first.extFields).toMatchObject({
      masterBrokerId: "1",
      masterAddress: b1.address,
      masterEpoch: "1",
      syncStateSetEpoch: "1",
    });
    expect(decodeElectMasterBody(first.body)).toEqual({
      syncStateSet: [1],
      brokerMemberGroup: {
        cluster: "DefaultCluster",
        brokerName: "broker-a",
        brokerAddrs: { "1": b1.address, "2": b2.address, "3": b3.address },
      },
    });
    // the others learn it is taken
    const second = await b2.elect(addr);
    expect(second.code).toBe(ResponseCode.CONTROLLER_MASTER_STILL_EXIST);
    expect(second.extFields).toMatchObject({
      masterBrokerId: "1",
      masterAddress: b1.address,
      masterEpoch: "1",
    });
    const again = await b3.register(addr);
    expect(again.extFields).toMatchObject({ masterBrokerId: "1", masterEpoch: "1", syncStateSetEpoch: "1" });

    // the master adds its caught-up slaves to the SyncStateSet
    const grown = await alter(client, addr, { brokerId: 1, masterEpoch: 1 }, [1, 2, 3], 1);
    expect(grown.code).toBe(ResponseCode.SUCCESS);
    expect(grown.extFields.newSyncStateSetEpoch).toBe("2");
    expect(decodeSyncStateSet(grown.body)).toEqual({ syncStateSet: [1, 2, 3], syncStateSetEpoch: 2 });

    const data = await call(
      client,
      addr,
      RequestCode.CONTROLLER_GET_SYNC_STATE_DATA,
      undefined,
      encodeJsonBody(["broker-a", "no-such-broker"]),
    );
    const table = (decodeJsonBody(data.body, "BrokerReplicasInfo") as BrokerReplicasInfo).replicasInfoTable;
    expect(Object.keys(table)).toEqual(["broker-a"]);
    expect(table["broker-a"]).toMatchObject({ masterBrokerId: 1, masterEpoch: 1, syncStateSetEpoch: 2 });
    expect(table["broker-a"].inSyncReplicas.map((r) => [r.brokerId, r.alive])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);

    // the master's heartbeats stop: its lease expires and the scan elects from the SyncStateSet
    b1.stopHeartbeats();
    const info = await waitFor(async () => {
      const r = await replicaInfo(client, addr);
      return r.extFields.masterEpoch === "2" ? r : undefined;
    }, "a new master");
    // same epoch, broker 3 has the longer log
    expect(info.extFields).toMatchObject({
      masterBrokerId: "3",
      masterAddress: b3.address,
      masterEpoch: "2",
    });
    expect(decodeSyncStateSet(info.body)).toEqual({ syncStateSet: [3], syncStateSetEpoch: 3 });

    // live brokers are told; the dead master is not
    const epoch2 = (broker: ControllerTestBroker) =>
      broker.notifications.find((n) => n.extFields.masterEpoch === "2");
    for (const broker of [b2, b3]) {
      const pushed = await waitFor(async () => epoch2(broker), "NOTIFY_BROKER_ROLE_CHANGED");
      expect(pushed.extFields).toMatchObject({ masterBrokerId: "3", masterAddress: b3.address });
      expect(decodeSyncStateSet(pushed.body)).toEqual({ syncStateSet: [3], syncStateSetEpoch: 3 });
    }
    expect(epoch2(b1)).toBeUndefined();
    // the first election was pushed too, to every broker alive then
    expect(b1.notifications[0].extFields).toMatchObject({ masterBrokerId: "1", masterEpoch: "1" });

    // the deposed master is fenced by epoch, the new master's stale view by SyncStateSet epoch
    const stale = await alter(client, addr, { brokerId: 1, masterEpoch: 1 }, [1, 2], 2);
    expect(stale.code).toBe(ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH);
    expect(stale.remark).toContain('current master epoch of broker set "broker-a" is 2, not 1');
    const oldView = await alter(client, addr, { brokerId: 3, masterEpoch: 2 }, [2, 3], 2);
    expect(oldView.code).toBe(ResponseCode.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH);
    const fresh = await alter(client, addr, { brokerId: 3, masterEpoch: 2 }, [2, 3], 3);
    expect(fresh.code).toBe(ResponseCode.SUCCESS);
    expect(fresh.extFields.newSyncStateSetEpoch).toBe("4");
    // a dead broker cannot join
    const withDead = await alter(client, addr, { brokerId: 3, masterEpoch: 2 }, [1, 2, 3], 4);
    expect(withDead.code).toBe(ResponseCode.CONTROLLER_BROKER_NOT_ALIVE);

    // the old master comes back: registering tells it who the master is now
    const back = await b1.register(addr);
    expect(back.extFields).toMatchObject({ masterBrokerId: "3", masterEpoch: "2" });
  });

  test("GET_METADATA_INFO names this controller as the one to talk to", async () => {
    const controller = await startController({ advertisedAddress: "10.1.2.3:9878", controllerId: "c1" });
    const client = newClient();
    const meta = await call(client, `127.0.0.1:${controller.port}`, RequestCode.CONTROLLER_GET_METADATA_INFO);
    expect(meta.code).toBe(ResponseCode.SUCCESS);
    expect(meta.extFields).toEqual({
      group: `redis ${redis.addr}`,
      controllerLeaderId: "c1",
      controllerLeaderAddress: "10.1.2.3:9878",
      isLeader: "true",
      peers: "c1:10.1.2.3:9878;",
    });
  });

  test("an address change is recorded by REGISTER_BROKER; CLEAN_BROKER_DATA forgets a dead replica", async () => {
    const controller = await startController();
    const addr = controller.address;
    const [b1, b2] = await startBrokers(2);
    const client = newClient();
    await b1.register(addr);
    await b2.register(addr);
    await b1.startHeartbeats([addr], 1000, 60_000);
    expect((await b1.elect(addr)).code).toBe(ResponseCode.SUCCESS);

    const moved = await call(client, addr, RequestCode.CONTROLLER_REGISTER_BROKER, {
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerId: 2,
      brokerAddress: "10.9.9.9:10911",
    });
    expect(moved.code).toBe(ResponseCode.SUCCESS);
    const elect = await b2.elect(addr);
    expect(decodeElectMasterBody(elect.body).brokerMemberGroup?.brokerAddrs["2"]).toBe("10.9.9.9:10911");

    const living = await call(client, addr, RequestCode.CLEAN_BROKER_DATA, {
      brokerName: "broker-a",
      brokerControllerIdsToClean: "1",
    });
    expect(living.code).toBe(ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA);
    const cleaned = await call(client, addr, RequestCode.CLEAN_BROKER_DATA, {
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
      brokerControllerIdsToClean: "2",
      isCleanLivingBroker: false,
    });
    expect(cleaned.code).toBe(ResponseCode.SUCCESS);
    const after = await b1.elect(addr);
    expect(Object.keys(decodeElectMasterBody(after.body).brokerMemberGroup?.brokerAddrs ?? {})).toEqual([
      "1",
    ]);
    const next = await call(client, addr, RequestCode.CONTROLLER_GET_NEXT_BROKER_ID, {
      clusterName: "DefaultCluster",
      brokerName: "broker-a",
    });
    expect(next.extFields.nextBrokerId).toBe("3"); // ids are never handed out twice
  });
});

describe("controllers sharing one Redis", () => {
  test("agree on one master per epoch when both see the master die", async () => {
    const prefix = `shared${++prefixes}:`;
    // unclean election lets operators designate any live replica below; the failover is clean either way
    const a = await startController({ redisKeyPrefix: prefix, enableElectUncleanMaster: true });
    const b = await startController({ redisKeyPrefix: prefix, enableElectUncleanMaster: true });
    const [b1, b2, b3] = await startBrokers(3);
    const client = newClient();
    await b1.register(a.address);
    await b2.register(b.address);
    await b3.register(a.address);
    expect([b1.brokerId, b2.brokerId, b3.brokerId]).toEqual([1, 2, 3]);
    // heartbeats may reach either controller: the lease is shared
    await b1.startHeartbeats([a.address], 20, 150);
    await b2.startHeartbeats([b.address], 500, 60_000);
    await b3.startHeartbeats([a.address, b.address], 500, 60_000);
    expect((await b1.elect(b.address)).code).toBe(ResponseCode.SUCCESS);
    expect((await b3.elect(a.address)).code).toBe(ResponseCode.CONTROLLER_MASTER_STILL_EXIST);
    expect((await alter(client, a.address, { brokerId: 1, masterEpoch: 1 }, [1, 2, 3], 1)).code).toBe(
      ResponseCode.SUCCESS,
    );

    b1.stopHeartbeats();
    await waitFor(async () => {
      const data = await call(
        client,
        b.address,
        RequestCode.CONTROLLER_GET_SYNC_STATE_DATA,
        undefined,
        encodeJsonBody(["broker-a"]),
      );
      const table = (decodeJsonBody(data.body, "BrokerReplicasInfo") as BrokerReplicasInfo).replicasInfoTable;
      return table["broker-a"].inSyncReplicas.find((r) => r.brokerId === 1)?.alive === false;
    }, "the master's lease to expire");

    // both scan at once: exactly one decides epoch 2
    const [runsA, runsB] = await Promise.all([a.scanInactiveMasters(), b.scanInactiveMasters()]);
    const elected = [...runsA, ...runsB].filter((run) => run.outcome === "elected");
    expect(elected).toHaveLength(1);
    expect(elected[0].state).toMatchObject({
      masterEpoch: 2,
      syncStateSet: [elected[0].state.masterBrokerId],
    });
    for (const c of [a, b]) {
      const r = await replicaInfo(client, c.address);
      expect(r.extFields).toMatchObject({
        masterEpoch: "2",
        masterBrokerId: String(elected[0].state.masterBrokerId),
      });
    }

    // operators racing on both controllers: every master change gets an epoch of its own
    const requests = Array.from({ length: 12 }, (_, i) =>
      call(client, (i % 2 ? a : b).address, RequestCode.CONTROLLER_ELECT_MASTER, {
        clusterName: "DefaultCluster",
        brokerName: "broker-a",
        brokerId: i % 3 ? 2 : 3,
        designateElect: true,
      }),
    );
    const responses = await Promise.all(requests);
    const successes = responses.filter((r) => r.code === ResponseCode.SUCCESS);
    for (const r of responses) {
      expect([ResponseCode.SUCCESS as number, ResponseCode.CONTROLLER_MASTER_STILL_EXIST]).toContain(r.code);
    }
    expect(successes.length).toBeGreaterThan(0);
    const epochs = successes.map((r) => Number(r.extFields.masterEpoch));
    expect(new Set(epochs).size).toBe(epochs.length);
    const final = await replicaInfo(client, a.address);
    expect(Number(final.extFields.masterEpoch)).toBe(2 + successes.length);
  });

  test("two brokers applying for the same id through different controllers: one gets it, the other the next", async () => {
    const prefix = `apply${++prefixes}:`;
    const a = await startController({ redisKeyPrefix: prefix });
    const b = await startController({ redisKeyPrefix: prefix });
    const [first, x, y] = await startBrokers(3);
    await first.register(a.address);
    const client = newClient();
    const apply = (controller: Controller, broker: ControllerTestBroker) =>
      call(client, controller.address, RequestCode.CONTROLLER_APPLY_BROKER_ID, {
        clusterName: "DefaultCluster",
        brokerName: "broker-a",
        appliedBrokerId: 2,
        registerCheckCode: `${broker.address};1`,
      });
    const [ra, rb] = await Promise.all([apply(a, x), apply(b, y)]);
    expect([ra.code, rb.code].sort()).toEqual([
      ResponseCode.SUCCESS,
      ResponseCode.CONTROLLER_BROKER_ID_INVALID,
    ]);
    // the loser starts over and gets id 3 (ControllerTestBroker.register retries like a broker does)
    const loser = ra.code === ResponseCode.SUCCESS ? y : x;
    expect((await loser.register(b.address)).code).toBe(ResponseCode.SUCCESS);
    expect(loser.brokerId).toBe(3);
  });
});

describe("controller with an in-memory store and an injected clock", () => {
  test("elects when the master's lease runs out on the clock, and clears the master when nobody can take over", async () => {
    let now = 1_000_000;
    const store = createMemoryLeaseStore({ clock: () => now });
    const controller = await startController({ store, clock: () => now });
    const addr = controller.address;
    const [b1, b2, b3] = await startBrokers(3);
    for (const broker of [b1, b2, b3]) await broker.register(addr);
    for (const broker of [b1, b2])
      expect((await broker.heartbeat(addr, 1000)).code).toBe(ResponseCode.SUCCESS);
    expect((await b3.heartbeat(addr, 60_000)).code).toBe(ResponseCode.SUCCESS);
    await b1.elect(addr);
    const client = newClient();
    await alter(client, addr, { brokerId: 1, masterEpoch: 1 }, [1, 2], 1);

    now += 999;
    expect(await controller.scanInactiveMasters()).toEqual([]);
    now += 2; // broker 1 and 2 expire; broker 3 is alive but not in the SyncStateSet
    const [lost] = await controller.scanInactiveMasters();
    expect(lost.outcome).toBe("masterLost");
    expect(lost.state).toMatchObject({ masterBrokerId: null, masterEpoch: 2, syncStateSet: [1, 2] });
    // a clean election cannot pick broker 3
    const refused = await b3.elect(addr);
    expect(refused.code).toBe(ResponseCode.CONTROLLER_ELECT_MASTER_FAILED);
    // broker 2 comes back: it is in the SyncStateSet, so its own request elects it
    await b2.heartbeat(addr, 1000);
    const elected = await b2.elect(addr);
    expect(elected.code).toBe(ResponseCode.SUCCESS);
    expect(elected.extFields).toMatchObject({ masterBrokerId: "2", masterEpoch: "3" });
  });

  test("unclean election, when enabled, elects a live replica outside the SyncStateSet", async () => {
    let now = 1_000_000;
    const store = createMemoryLeaseStore({ clock: () => now });
    const controller = await startController({ store, clock: () => now, enableElectUncleanMaster: true });
    const addr = controller.address;
    const [b1, b2] = await startBrokers(2);
    await b1.register(addr);
    await b2.register(addr);
    await b1.heartbeat(addr, 1000);
    await b2.heartbeat(addr, 60_000);
    await b1.elect(addr);
    now += 1001;
    const [run] = await controller.scanInactiveMasters();
    expect(run.outcome).toBe("elected");
    expect(run.state).toMatchObject({ masterBrokerId: 2, masterEpoch: 2, syncStateSet: [2] });
  });
});

describe("bad input and an unavailable Redis", () => {
  test("missing headers, wrong types, bad bodies and unknown broker sets get clear errors", async () => {
    const controller = await startController();
    const addr = controller.address;
    const client = newClient();
    const expectError = async (r: Promise<RemotingCommand>, code: number, remark: string | RegExp) => {
      const response = await r;
      expect(response.code).toBe(code);
      if (typeof remark === "string") expect(response.remark).toContain(remark);
      else expect(response.remark).toMatch(remark);
    };
    const C = RequestCode;
    const R = ResponseCode;
    const body = encodeSyncStateSet({ syncStateSet: [1], syncStateSetEpoch: 0 });
    const alterHeader = { brokerName: "broker-a", masterBrokerId: 1, masterEpoch: 1 };

    await expectError(
      call(client, addr, C.CONTROLLER_ALTER_SYNC_STATE_SET, { masterBrokerId: 1, masterEpoch: 1 }, body),
      R.INVALID_PARAMETER,
      'header field "brokerName" is missing',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ALTER_SYNC_STATE_SET, { ...alterHeader, masterEpoch: "one" }, body),
      R.INVALID_PARAMETER,
      'header field "masterEpoch" must be an int, got "one"',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ALTER_SYNC_STATE_SET, alterHeader),
      R.INVALID_PARAMETER,
      "SyncStateSet body is missing",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ALTER_SYNC_STATE_SET, alterHeader, new TextEncoder().encode("{nope")),
      R.INVALID_PARAMETER,
      "SyncStateSet body is not valid JSON",
    );
    await expectError(
      call(
        client,
        addr,
        C.CONTROLLER_ALTER_SYNC_STATE_SET,
        alterHeader,
        encodeJsonBody({ syncStateSet: ["a"] }),
      ),
      R.INVALID_PARAMETER,
      "malformed SyncStateSet body: syncStateSet[0] must be a number",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ALTER_SYNC_STATE_SET, alterHeader, body),
      R.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
      'Broker metadata of "broker-a" is not existed',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ELECT_MASTER, { clusterName: "c" }),
      R.INVALID_PARAMETER,
      'header field "brokerName" is missing',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ELECT_MASTER, { brokerName: " " }),
      R.INVALID_PARAMETER,
      'header field "brokerName" is empty',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_ELECT_MASTER, { brokerName: "nope", brokerId: 1 }),
      R.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
      "Broker-set: nope hasn't been registered",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_GET_REPLICA_INFO, { brokerName: "nope" }),
      R.CONTROLLER_BROKER_METADATA_NOT_EXIST,
      'Broker metadata of "nope" is not existed',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_REGISTER_BROKER, { clusterName: "c", brokerName: "nope", brokerId: 1 }),
      R.INVALID_PARAMETER,
      'header field "brokerAddress" is missing',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_REGISTER_BROKER, {
        clusterName: "c",
        brokerName: "nope",
        brokerId: 1,
        brokerAddress: "1.2.3.4:5",
      }),
      R.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
      "Broker-set: nope hasn't been registered",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_APPLY_BROKER_ID, {
        clusterName: "c",
        brokerName: "nope",
        appliedBrokerId: 1,
      }),
      R.INVALID_PARAMETER,
      'header field "registerCheckCode" is missing',
    );
    await expectError(
      call(client, addr, C.CONTROLLER_APPLY_BROKER_ID, {
        clusterName: "c",
        brokerName: "nope",
        appliedBrokerId: 5,
        registerCheckCode: "1.2.3.4:5;1",
      }),
      R.CONTROLLER_BROKER_ID_INVALID,
      "hasn't been registered in controller, but broker try to apply brokerId: 5",
    );
    await expectError(
      call(client, addr, C.BROKER_HEARTBEAT, {
        clusterName: "c",
        brokerName: "nope",
        brokerAddr: "1.2.3.4:5",
      }),
      R.CONTROLLER_INVALID_REQUEST,
      "Heart beat with empty brokerId",
    );
    await expectError(
      call(client, addr, C.CLEAN_BROKER_DATA, { brokerName: "nope", brokerControllerIdsToClean: "1;x" }),
      R.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
      "brokerControllerIdsToClean",
    );
    await expectError(
      call(client, addr, C.CLEAN_BROKER_DATA, { brokerName: "nope" }),
      R.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
      "Broker nope is not existed",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_GET_SYNC_STATE_DATA),
      R.INVALID_PARAMETER,
      "broker name list body is missing",
    );
    await expectError(
      call(client, addr, C.CONTROLLER_GET_SYNC_STATE_DATA, undefined, encodeJsonBody({ brokerName: "x" })),
      R.INVALID_PARAMETER,
      "malformed broker name list body: $ must be an array",
    );
    await expectError(
      call(client, addr, C.GET_CONTROLLER_CONFIG),
      R.REQUEST_CODE_NOT_SUPPORTED,
      `request type ${C.GET_CONTROLLER_CONFIG} not supported`,
    );

    // unknown broker sets that are not errors
    const next = await call(client, addr, C.CONTROLLER_GET_NEXT_BROKER_ID, {
      clusterName: "c",
      brokerName: "nope",
    });
    expect(next.extFields.nextBrokerId).toBe("1");
    const empty = await call(
      client,
      addr,
      C.CONTROLLER_GET_SYNC_STATE_DATA,
      undefined,
      encodeJsonBody(["nope"]),
    );
    expect(decodeJsonBody(empty.body, "BrokerReplicasInfo")).toEqual({ replicasInfoTable: {} });
    // nothing of the above created state
    expect(await controller.store.listBrokerSets()).toEqual([]);
    expect((await call(client, addr, C.CONTROLLER_GET_METADATA_INFO)).code).toBe(R.SUCCESS);
  });

  test("Redis down: clear errors instead of crashes or hangs, and service resumes with the state when it is back", async () => {
    const own = await startRedisServer();
    cleanups.push(() => own.close());
    const controller = await startController({ redisAddr: own.addr, scanIntervalMs: 30 });
    const addr = controller.address;
    const [b1] = await startBrokers(1);
    await b1.register(addr);
    await b1.startHeartbeats([addr], 30, 60_000);
    expect((await b1.elect(addr)).code).toBe(ResponseCode.SUCCESS);
    expect(await own.command("SAVE")).toBe("+OK");
    b1.stopHeartbeats();

    await own.stop();
    const client = newClient();
    for (const response of [
      await replicaInfo(client, addr),
      await b1.heartbeat(addr, 60_000),
      await b1.elect(addr),
      await b1.register(addr),
      await alter(client, addr, { brokerId: 1, masterEpoch: 1 }, [1], 1),
    ]) {
      expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(response.remark).toContain(`controller state store redis ${own.addr} is unavailable`);
    }
    // a scan fails with the same clear error (the scheduled ones log it and carry on)
    await expect(controller.scanInactiveMasters()).rejects.toThrow(`redis ${own.addr} is unavailable`);
    // what needs no Redis is still served
    expect((await call(client, addr, RequestCode.CONTROLLER_GET_METADATA_INFO)).code).toBe(
      ResponseCode.SUCCESS,
    );

    await own.start();
    const back = await waitFor(async () => {
      const r = await replicaInfo(client, addr);
      return r.code === ResponseCode.SUCCESS ? r : undefined;
    }, "Redis to be back");
    expect(back.extFields).toMatchObject({ masterBrokerId: "1", masterEpoch: "1" });
    expect((await b1.heartbeat(addr, 60_000)).code).toBe(ResponseCode.SUCCESS);
  });
});
