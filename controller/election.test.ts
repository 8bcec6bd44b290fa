import { describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  chooseMaster,
  decideAlterSyncStateSet,
  decideElectMaster,
  type ElectTrigger,
  type LiveBrokers,
  needsReelection,
} from "./election.ts";
import type { BrokerLiveInfo, BrokerSetState } from "./lease-store.ts";

function live(
  ...infos: Array<[id: number, epoch: number, maxOffset: number, priority?: number]>
): LiveBrokers {
  return new Map(
    infos.map(([brokerId, epoch, maxOffset, electionPriority = 2 ** 31 - 1]): [number, BrokerLiveInfo] => [
      brokerId,
      {
        clusterName: "c",
        brokerName: "broker-a",
        brokerId,
        brokerAddr: `10.0.0.${brokerId}:10911`,
        epoch,
        maxOffset,
        confirmOffset: 0,
        electionPriority,
        heartbeatTimeoutMillis: 10_000,
        lastUpdateTimestamp: 0,
      },
    ]),
  );
}

function state(patch: Partial<BrokerSetState> = {}): BrokerSetState {
  return {
    clusterName: "c",
    brokerName: "broker-a",
    masterBrokerId: 1,
    masterEpoch: 3,
    syncStateSet: [1, 2, 3],
    syncStateSetEpoch: 7,
    nextAssignBrokerId: 5,
    replicas: [1, 2, 3, 4].map((brokerId) => ({
      brokerId,
      brokerAddress: `10.0.0.${brokerId}:10911`,
      registerCheckCode: `10.0.0.${brokerId}:10911;1`,
    })),
    ...patch,
  };
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof MqError) return err.code;
    throw err;
  }
  return undefined;
}

describe("chooseMaster", () => {
  const cases: Array<[string, Parameters<typeof chooseMaster>[0], number | undefined]> = [
    [
      "keeps a live old master",
      { syncStateSet: [1, 2], oldMaster: 1, live: live([1, 1, 0], [2, 9, 999]) },
      1,
    ],
    [
      "best epoch wins over a higher offset",
      { syncStateSet: [1, 2, 3], oldMaster: 1, live: live([2, 2, 100], [3, 1, 900]) },
      2,
    ],
    [
      "same epoch: highest maxOffset wins",
      { syncStateSet: [1, 2, 3], oldMaster: 1, live: live([2, 2, 100], [3, 2, 200]) },
      3,
    ],
    [
      "same epoch and offset: lowest electionPriority wins",
      { syncStateSet: [2, 3], oldMaster: null, live: live([2, 2, 100, 5], [3, 2, 100, 1]) },
      3,
    ],
    [
      "full tie: lowest brokerId wins",
      { syncStateSet: [3, 2], oldMaster: null, live: live([2, 2, 100], [3, 2, 100]) },
      2,
    ],
    [
      "only SyncStateSet members are candidates",
      { syncStateSet: [1, 2], oldMaster: 1, live: live([2, 1, 10], [4, 9, 999]) },
      2,
    ],
    [
      "nobody live in the SyncStateSet and no unclean election",
      { syncStateSet: [1, 2], oldMaster: 1, live: live([4, 9, 9]) },
      undefined,
    ],
    [
      "unclean election falls back to any live replica",
      { syncStateSet: [1, 2], allReplicas: [1, 2, 3, 4], oldMaster: 1, live: live([3, 1, 5], [4, 1, 50]) },
      4,
    ],
    [
      "unclean election is a fallback only: a live SyncStateSet member still wins",
      { syncStateSet: [1, 2], allReplicas: [1, 2, 3], oldMaster: 1, live: live([2, 1, 5], [3, 9, 500]) },
      2,
    ],
    [
      "a preferred live member is elected over the old master",
      { syncStateSet: [1, 2, 3], oldMaster: 1, preferredBrokerId: 3, live: live([1, 5, 5], [3, 1, 1]) },
      3,
    ],
    [
      "preferring the old master keeps it",
      { syncStateSet: [1, 2], oldMaster: 1, preferredBrokerId: 1, live: live([1, 1, 1], [2, 9, 9]) },
      1,
    ],
    [
      "a preferred broker that is not live means nobody",
      { syncStateSet: [1, 2], oldMaster: 1, preferredBrokerId: 2, live: live([1, 1, 1]) },
      undefined,
    ],
    [
      "a preferred broker outside the SyncStateSet needs unclean election",
      { syncStateSet: [1, 2], oldMaster: 1, preferredBrokerId: 4, live: live([1, 1, 1], [4, 1, 1]) },
      undefined,
    ],
    [
      "a preferred broker outside the SyncStateSet with unclean election",
      {
        syncStateSet: [1, 2],
        allReplicas: [1, 2, 3, 4],
        oldMaster: 1,
        preferredBrokerId: 4,
        live: live([2, 1, 1], [4, 1, 1]),
      },
      4,
    ],
    [
      "an empty SyncStateSet elects nobody",
      { syncStateSet: [], oldMaster: null, live: live([1, 1, 1]) },
      undefined,
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => expect(chooseMaster(input)).toBe(expected));
  }
});

describe("decideElectMaster", () => {
  const clean = { enableElectUncleanMaster: false };
  const controller: ElectTrigger = { by: "controller" };

  test("the first broker to ask in a never-elected set becomes master with epoch 1", () => {
    const fresh = state({ masterBrokerId: null, masterEpoch: 0, syncStateSet: [], syncStateSetEpoch: 0 });
    const outcome = decideElectMaster(fresh, { by: "broker", brokerId: 2 }, live(), clean);
    expect(outcome).toEqual({
      kind: "elected",
      next: { ...fresh, masterBrokerId: 2, masterEpoch: 1, syncStateSet: [2], syncStateSetEpoch: 1 },
    });
  });

  test("an unregistered broker cannot make itself the first master", () => {
    const fresh = state({ masterBrokerId: null, masterEpoch: 0, syncStateSet: [], syncStateSetEpoch: 0 });
    expect(
      codeOf(() => decideElectMaster(fresh, { by: "broker", brokerId: 9 }, live([9, 1, 1]), clean)),
    ).toBe(ResponseCode.CONTROLLER_ELECT_MASTER_FAILED);
  });

  test("a broker asking while the master lives learns the master (kept)", () => {
    expect(
      decideElectMaster(state(), { by: "broker", brokerId: 2 }, live([1, 3, 10], [2, 3, 10]), clean),
    ).toEqual({ kind: "kept" });
  });

  test("a dead master is replaced from the SyncStateSet: epoch + 1, SyncStateSet = {new master}", () => {
    const outcome = decideElectMaster(state(), controller, live([2, 3, 10], [3, 3, 20], [4, 9, 99]), clean);
    expect(outcome.kind).toBe("elected");
    if (outcome.kind !== "elected") return;
    expect(outcome.next).toMatchObject({
      masterBrokerId: 3,
      masterEpoch: 4,
      syncStateSet: [3],
      syncStateSetEpoch: 8,
    });
    expect(outcome.next.replicas).toEqual(state().replicas);
  });

  test("nobody to take over: the master is cleared and the epoch still moves (fencing the old one)", () => {
    const outcome = decideElectMaster(state(), controller, live([4, 9, 99]), clean);
    expect(outcome).toEqual({
      kind: "masterLost",
      next: { ...state(), masterBrokerId: null, masterEpoch: 4 },
    });
  });

  test("unclean election, when enabled, takes a live replica outside the SyncStateSet", () => {
    const outcome = decideElectMaster(state(), controller, live([4, 1, 1]), {
      enableElectUncleanMaster: true,
    });
    expect(outcome.kind === "elected" && outcome.next.masterBrokerId).toBe(4);
  });

  test("after a lost master, the old master coming back is elected again with a new epoch", () => {
    const lost = state({ masterBrokerId: null, masterEpoch: 4 });
    const outcome = decideElectMaster(lost, { by: "broker", brokerId: 1 }, live([1, 3, 10]), clean);
    expect(outcome.kind === "elected" && outcome.next).toMatchObject({ masterBrokerId: 1, masterEpoch: 5 });
  });

  test("an operator's designated broker is elected even though the master lives", () => {
    const outcome = decideElectMaster(
      state(),
      { by: "admin", brokerId: 2 },
      live([1, 3, 9], [2, 3, 1]),
      clean,
    );
    expect(outcome.kind === "elected" && outcome.next.masterBrokerId).toBe(2);
  });

  const refusals: Array<[string, BrokerSetState, ElectTrigger, LiveBrokers, number]> = [
    [
      "an operator's designated broker that is dead",
      state(),
      { by: "admin", brokerId: 2 },
      live([1, 3, 9]),
      ResponseCode.CONTROLLER_ELECT_MASTER_FAILED,
    ],
    [
      "a broker asking with nobody live in the SyncStateSet",
      state({ masterBrokerId: null }),
      { by: "broker", brokerId: 4 },
      live([4, 3, 9]),
      ResponseCode.CONTROLLER_ELECT_MASTER_FAILED,
    ],
    [
      "the controller asking for a set that has no master to lose",
      state({ masterBrokerId: null }),
      controller,
      live(),
      ResponseCode.CONTROLLER_MASTER_NOT_AVAILABLE,
    ],
  ];
  for (const [name, s, trigger, l, code] of refusals) {
    test(`refuses: ${name}`, () => expect(codeOf(() => decideElectMaster(s, trigger, l, clean))).toBe(code));
  }
});

describe("needsReelection", () => {
  test("only a set whose master has no live lease", () => {
    expect(needsReelection(state(), live([1, 1, 1]))).toBe(false);
    expect(needsReelection(state(), live([2, 1, 1]))).toBe(true);
    expect(needsReelection(state({ masterBrokerId: null }), live())).toBe(false);
  });
});

describe("decideAlterSyncStateSet", () => {
  const all = live([1, 3, 10], [2, 3, 10], [3, 3, 10], [4, 3, 10]);
  const request = { masterBrokerId: 1, masterEpoch: 3, syncStateSetEpoch: 7 };

  test("the current master shrinks or grows the set: SyncStateSet epoch + 1", () => {
    expect(decideAlterSyncStateSet(state(), { ...request, syncStateSet: [2, 1] }, all)).toEqual({
      ...state(),
      syncStateSet: [1, 2],
      syncStateSetEpoch: 8,
    });
    expect(
      decideAlterSyncStateSet(state(), { ...request, syncStateSet: [1, 2, 3, 4, 4] }, all),
    ).toMatchObject({
      syncStateSet: [1, 2, 3, 4],
      syncStateSetEpoch: 8,
    });
  });

  const refusals: Array<[string, Parameters<typeof decideAlterSyncStateSet>[1], LiveBrokers, number]> = [
    [
      "a deposed master with an old master epoch",
      { masterBrokerId: 2, masterEpoch: 2, syncStateSet: [2], syncStateSetEpoch: 7 },
      all,
      ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH,
    ],
    [
      "a master epoch from the future",
      { ...request, masterEpoch: 4, syncStateSet: [1, 2] },
      all,
      ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH,
    ],
    [
      "the right epoch but not the master",
      { ...request, masterBrokerId: 2, syncStateSet: [1, 2] },
      all,
      ResponseCode.CONTROLLER_INVALID_MASTER,
    ],
    [
      "a change built on an old SyncStateSet",
      { ...request, syncStateSetEpoch: 6, syncStateSet: [1, 2] },
      all,
      ResponseCode.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
    ],
    [
      "no change",
      { ...request, syncStateSet: [3, 2, 1] },
      all,
      ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
    ],
    [
      "an unregistered replica",
      { ...request, syncStateSet: [1, 9] },
      all,
      ResponseCode.CONTROLLER_INVALID_REPLICAS,
    ],
    [
      "a dead replica",
      { ...request, syncStateSet: [1, 4] },
      live([1, 3, 10], [2, 3, 10]),
      ResponseCode.CONTROLLER_BROKER_NOT_ALIVE,
    ],
    [
      "a set without the master",
      { ...request, syncStateSet: [2, 3] },
      all,
      ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
    ],
    [
      "an empty set",
      { ...request, syncStateSet: [] },
      all,
      ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
    ],
  ];
  for (const [name, req, l, code] of refusals) {
    test(`refuses: ${name}`, () => expect(codeOf(() => decideAlterSyncStateSet(state(), req, l))).toBe(code));
  }

  test("a set without a master refuses every alter", () => {
    const masterless = state({ masterBrokerId: null });
    expect(codeOf(() => decideAlterSyncStateSet(masterless, { ...request, syncStateSet: [1] }, all))).toBe(
      ResponseCode.CONTROLLER_INVALID_MASTER,
    );
  });
});
