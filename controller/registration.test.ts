import { describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { LiveBrokers } from "./election.ts";
import type { BrokerLiveInfo, BrokerSetState } from "./lease-store.ts";
import {
  decideApplyBrokerId,
  decideCleanBrokerData,
  decideRegisterBroker,
  nextBrokerId,
  parseBrokerIdsToClean,
} from "./registration.ts";

const apply = (brokerId: number, address = `10.0.0.${brokerId}:10911`, at = 1) => ({
  clusterName: "c",
  brokerName: "broker-a",
  appliedBrokerId: brokerId,
  registerCheckCode: `${address};${at}`,
});

function liveIds(...ids: number[]): LiveBrokers {
  return new Map(ids.map((brokerId) => [brokerId, { brokerId } as BrokerLiveInfo]));
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

function registered(...ids: number[]): BrokerSetState {
  let s: BrokerSetState | undefined;
  for (const id of ids) s = decideApplyBrokerId(s, apply(id)) ?? s;
  return s!;
}

describe("registration flow", () => {
  test("ids start at 1 and the first apply creates the broker set", () => {
    expect(nextBrokerId(undefined)).toBe(1);
    const s = decideApplyBrokerId(undefined, apply(1))!;
    expect(s).toEqual({
      clusterName: "c",
      brokerName: "broker-a",
      masterBrokerId: null,
      masterEpoch: 0,
      syncStateSet: [],
      syncStateSetEpoch: 0,
      nextAssignBrokerId: 2,
      replicas: [{ brokerId: 1, brokerAddress: "10.0.0.1:10911", registerCheckCode: "10.0.0.1:10911;1" }],
    });
    expect(nextBrokerId(s)).toBe(2);
  });

  test("later brokers get the next ids; next stays past the highest id applied", () => {
    const s = registered(1, 2, 3);
    expect(s.replicas.map((r) => r.brokerId)).toEqual([1, 2, 3]);
    expect(nextBrokerId(s)).toBe(4);
    const jumped = decideApplyBrokerId(s, apply(7))!;
    expect(nextBrokerId(jumped)).toBe(8);
    expect(nextBrokerId(decideApplyBrokerId(jumped, apply(5))!)).toBe(8);
  });

  test("re-applying with the same check code changes nothing; another broker's code is refused", () => {
    const s = registered(1, 2);
    expect(decideApplyBrokerId(s, apply(2))).toBeUndefined();
    expect(codeOf(() => decideApplyBrokerId(s, apply(2, "10.9.9.9:10911", 2)))).toBe(
      ResponseCode.CONTROLLER_BROKER_ID_INVALID,
    );
  });

  const applyRefusals: Array<[string, BrokerSetState | undefined, ReturnType<typeof apply>, number]> = [
    ["a first broker not applying for id 1", undefined, apply(2), ResponseCode.CONTROLLER_BROKER_ID_INVALID],
    ["id 0", registered(1), apply(0), ResponseCode.CONTROLLER_BROKER_ID_INVALID],
    ["a negative id", registered(1), apply(-1), ResponseCode.CONTROLLER_BROKER_ID_INVALID],
    [
      "a check code without an address",
      registered(1),
      { ...apply(2), registerCheckCode: ";123" },
      ResponseCode.INVALID_PARAMETER,
    ],
  ];
  for (const [name, s, req, code] of applyRefusals) {
    test(`apply refuses ${name}`, () => expect(codeOf(() => decideApplyBrokerId(s, req))).toBe(code));
  }

  test("register updates a changed address and is a no-op otherwise", () => {
    const s = registered(1, 2);
    expect(
      decideRegisterBroker(s, { brokerName: "broker-a", brokerId: 2, brokerAddress: "10.0.0.2:10911" }),
    ).toBe(undefined);
    const moved = decideRegisterBroker(s, {
      brokerName: "broker-a",
      brokerId: 2,
      brokerAddress: "10.1.1.1:1",
    })!;
    expect(moved.replicas[1]).toEqual({
      brokerId: 2,
      brokerAddress: "10.1.1.1:1",
      registerCheckCode: "10.0.0.2:10911;1",
    });
  });

  test("register refuses unknown sets and unknown ids", () => {
    const req = { brokerName: "broker-a", brokerId: 3, brokerAddress: "x:1" };
    expect(codeOf(() => decideRegisterBroker(undefined, req))).toBe(
      ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
    );
    expect(codeOf(() => decideRegisterBroker(registered(1), req))).toBe(
      ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
    );
  });
});

describe("clean broker data", () => {
  const withMaster = (): BrokerSetState => ({
    ...registered(1, 2, 3),
    masterBrokerId: 1,
    masterEpoch: 2,
    syncStateSet: [1, 2],
    syncStateSetEpoch: 4,
  });

  test("parses ids separated by ';' and refuses anything else", () => {
    expect(parseBrokerIdsToClean(undefined)).toBeUndefined();
    expect(parseBrokerIdsToClean(" ")).toBeUndefined();
    expect(parseBrokerIdsToClean("1; 3;3")).toEqual([1, 3]);
    expect(codeOf(() => parseBrokerIdsToClean("1;x"))).toBe(
      ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
    );
  });

  test("removes dead replicas, leaving the master and bumping the SyncStateSet epoch if it changed", () => {
    const next = decideCleanBrokerData(
      withMaster(),
      { brokerName: "broker-a", brokerIds: [2], cleanLivingBroker: false },
      liveIds(1),
    );
    expect(next).toMatchObject({
      masterBrokerId: 1,
      masterEpoch: 2,
      syncStateSet: [1],
      syncStateSetEpoch: 5,
    });
    expect(next?.replicas.map((r) => r.brokerId)).toEqual([1, 3]);
    const outside = decideCleanBrokerData(
      withMaster(),
      { brokerName: "broker-a", brokerIds: [3], cleanLivingBroker: false },
      liveIds(1),
    );
    expect(outside?.syncStateSetEpoch).toBe(4);
  });

  test("removing the master clears it and moves the master epoch", () => {
    const next = decideCleanBrokerData(
      withMaster(),
      { brokerName: "broker-a", brokerIds: [1], cleanLivingBroker: true },
      liveIds(1),
    );
    expect(next).toMatchObject({ masterBrokerId: null, masterEpoch: 3, syncStateSet: [2] });
  });

  test("the whole set goes when no id is named or every replica is removed", () => {
    const masterless = { ...withMaster(), masterBrokerId: null };
    expect(
      decideCleanBrokerData(
        masterless,
        { brokerName: "broker-a", brokerIds: undefined, cleanLivingBroker: false },
        liveIds(),
      ),
    ).toBeNull();
    expect(
      decideCleanBrokerData(
        withMaster(),
        { brokerName: "broker-a", brokerIds: [1, 2, 3], cleanLivingBroker: true },
        liveIds(),
      ),
    ).toBeNull();
  });

  const refusals: Array<[string, BrokerSetState | undefined, number[] | undefined, boolean, LiveBrokers]> = [
    ["the whole set while it has a master", withMaster(), undefined, false, liveIds()],
    ["a live broker", withMaster(), [2], false, liveIds(2)],
    ["an unknown broker set", undefined, [2], false, liveIds()],
    ["an unknown broker set, even when cleaning living brokers", undefined, undefined, true, liveIds()],
  ];
  for (const [name, s, ids, living, l] of refusals) {
    test(`refuses ${name}`, () =>
      expect(
        codeOf(() =>
          decideCleanBrokerData(s, { brokerName: "broker-a", brokerIds: ids, cleanLivingBroker: living }, l),
        ),
      ).toBe(ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA));
  }
});
