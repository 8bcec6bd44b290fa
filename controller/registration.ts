import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { LiveBrokers } from "./election.ts";
import type { BrokerSetState, ReplicaRecord } from "./lease-store.ts";

/*
 * Pure decisions of the 5.1.1+ registration flow (persistent broker ids) and of CLEAN_BROKER_DATA, after
 * RocketMQ's ReplicasInfoManager. Each returns the next state to compare-and-set (undefined: nothing to write,
 * null: delete the broker set) or throws MqError with a CONTROLLER_* code.
 */

/** Broker ids handed out by the controller start at 1 (RocketMQ MixAll.FIRST_BROKER_CONTROLLER_ID). */
export const FIRST_BROKER_CONTROLLER_ID = 1;

/** CONTROLLER_GET_NEXT_BROKER_ID: the id a new broker of this set should apply for. */
export function nextBrokerId(state: BrokerSetState | undefined): number {
  return state ? state.nextAssignBrokerId : FIRST_BROKER_CONTROLLER_ID;
}

export interface ApplyBrokerIdRequest {
  clusterName: string;
  brokerName: string;
  appliedBrokerId: number;
  /** "address;timestamp", chosen by the broker and kept in its temp metadata file */
  registerCheckCode: string;
}

/**
 * CONTROLLER_APPLY_BROKER_ID: claims `appliedBrokerId` for the broker that holds `registerCheckCode`. Applying
 * again with the same code is a success that changes nothing (the broker crashed between apply and rename).
 * The first broker of a set must apply for id 1 and creates the set.
 */
export function decideApplyBrokerId(
  state: BrokerSetState | undefined,
  request: ApplyBrokerIdRequest,
): BrokerSetState | undefined {
  const { brokerName, appliedBrokerId: brokerId, registerCheckCode } = request;
  const brokerAddress = registerCheckCode.split(";")[0];
  if (!brokerAddress) {
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `registerCheckCode must look like "address;timestamp", got "${registerCheckCode}"`,
    );
  }
  if (brokerId < FIRST_BROKER_CONTROLLER_ID) {
    throw new MqError(
      ResponseCode.CONTROLLER_BROKER_ID_INVALID,
      `broker ids start at ${FIRST_BROKER_CONTROLLER_ID}, cannot apply for ${brokerId}`,
    );
  }
  const replica: ReplicaRecord = { brokerId, brokerAddress, registerCheckCode };
  if (!state) {
    if (brokerId !== FIRST_BROKER_CONTROLLER_ID) {
      throw new MqError(
        ResponseCode.CONTROLLER_BROKER_ID_INVALID,
        `Broker-set: ${brokerName} hasn't been registered in controller, but broker try to apply brokerId: ${brokerId}`,
      );
    }
    return {
      clusterName: request.clusterName,
      brokerName,
      masterBrokerId: null,
      masterEpoch: 0,
      syncStateSet: [],
      syncStateSetEpoch: 0,
      nextAssignBrokerId: brokerId + 1,
      replicas: [replica],
    };
  }
  const existing = state.replicas.find((r) => r.brokerId === brokerId);
  if (existing) {
    if (existing.registerCheckCode === registerCheckCode) return undefined;
    throw new MqError(
      ResponseCode.CONTROLLER_BROKER_ID_INVALID,
      `Fail to apply brokerId: ${brokerId} in broker-set: ${brokerName}, it belongs to another broker`,
    );
  }
  return {
    ...state,
    // past the highest id given out, so GET_NEXT_BROKER_ID never offers a taken id
    nextAssignBrokerId: Math.max(state.nextAssignBrokerId, brokerId + 1),
    replicas: [...state.replicas, replica].sort((a, b) => a.brokerId - b.brokerId),
  };
}

export interface RegisterBrokerRequest {
  brokerName: string;
  brokerId: number;
  brokerAddress: string;
}

/**
 * CONTROLLER_REGISTER_BROKER: a broker with an applied id announces its current address. Returns the state with
 * the new address, or undefined when it did not change.
 */
export function decideRegisterBroker(
  state: BrokerSetState | undefined,
  request: RegisterBrokerRequest,
): BrokerSetState | undefined {
  if (!state) {
    throw new MqError(
      ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
      `Broker-set: ${request.brokerName} hasn't been registered in controller`,
    );
  }
  const replica = state.replicas.find((r) => r.brokerId === request.brokerId);
  if (!replica) {
    throw new MqError(
      ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
      `BrokerId: ${request.brokerId} hasn't been registered in broker-set: ${request.brokerName}`,
    );
  }
  if (replica.brokerAddress === request.brokerAddress) return undefined;
  return {
    ...state,
    replicas: state.replicas.map((r) =>
      r.brokerId === request.brokerId ? { ...r, brokerAddress: request.brokerAddress } : r,
    ),
  };
}

/** "1;3" -> [1, 3]; blank -> undefined (everything). Throws CONTROLLER_INVALID_CLEAN_BROKER_METADATA. */
export function parseBrokerIdsToClean(text: string | undefined): number[] | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const ids = text.split(";").map((part) => part.trim());
  for (const id of ids) {
    if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id))) {
      throw new MqError(
        ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
        `Please set the option <brokerControllerIdsToClean> as ids separated by ';', got "${text}"`,
      );
    }
  }
  return [...new Set(ids.map(Number))];
}

export interface CleanBrokerDataRequest {
  brokerName: string;
  /** undefined: the whole broker set */
  brokerIds: readonly number[] | undefined;
  /** also clean brokers that are alive (an operator's override) */
  cleanLivingBroker: boolean;
}

/**
 * CLEAN_BROKER_DATA: forgets replicas (or the whole broker set, returned as null). Refuses, unless told to clean
 * living brokers, when a named broker is alive or, for the whole set, when it still has a master.
 */
export function decideCleanBrokerData(
  state: BrokerSetState | undefined,
  request: CleanBrokerDataRequest,
  live: LiveBrokers,
): BrokerSetState | null {
  const { brokerName, brokerIds } = request;
  if (!request.cleanLivingBroker) {
    if (!brokerIds && state && state.masterBrokerId !== null) {
      throw new MqError(
        ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
        `Broker ${brokerName} is still alive, clean up failure`,
      );
    }
    for (const id of brokerIds ?? []) {
      if (live.has(id)) {
        throw new MqError(
          ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
          `Broker [${brokerName}, ${id}] is still alive, clean up failure`,
        );
      }
    }
  }
  if (!state) {
    throw new MqError(
      ResponseCode.CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
      `Broker ${brokerName} is not existed, clean broker data failure`,
    );
  }
  if (!brokerIds) return null;
  const replicas = state.replicas.filter((r) => !brokerIds.includes(r.brokerId));
  if (replicas.length === 0) return null;
  const syncStateSet = state.syncStateSet.filter((id) => !brokerIds.includes(id));
  const masterRemoved = state.masterBrokerId !== null && brokerIds.includes(state.masterBrokerId);
  return {
    ...state,
    replicas,
    // a removed master or member is a change like any other: bump the epochs so old requests are fenced
    masterBrokerId: masterRemoved ? null : state.masterBrokerId,
    masterEpoch: masterRemoved ? state.masterEpoch + 1 : state.masterEpoch,
    syncStateSet,
    syncStateSetEpoch:
      syncStateSet.length === state.syncStateSet.length
        ? state.syncStateSetEpoch
        : state.syncStateSetEpoch + 1,
  };
}
