import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { BrokerLiveInfo, BrokerSetState } from "./lease-store.ts";

/*
 * Pure decisions about masters and SyncStateSets (RocketMQ's DefaultElectPolicy and the fenced parts of
 * ReplicasInfoManager). No I/O and no clock: liveness comes in as the map of brokers whose lease is alive, and
 * every decision returns the next state for the caller to compare-and-set. Refusals throw MqError with
 * RocketMQ's CONTROLLER_* codes.
 */

/** Brokers whose lease is alive, by brokerId, with what their last heartbeat reported. */
export type LiveBrokers = ReadonlyMap<number, BrokerLiveInfo>;

export interface ElectPolicyInput {
  syncStateSet: readonly number[];
  /** every registered replica; given only when unclean election is allowed (it may lose messages) */
  allReplicas?: readonly number[];
  oldMaster: number | null;
  /** an operator's choice: elect this broker or nobody */
  preferredBrokerId?: number;
  live: LiveBrokers;
}

/**
 * Picks the master among live candidates: the SyncStateSet first, then (only if `allReplicas` is given) every
 * replica. A live old master stays unless another broker is preferred. Otherwise the best candidate wins:
 * highest epoch, then highest maxOffset, then lowest electionPriority, then lowest brokerId.
 */
export function chooseMaster(input: ElectPolicyInput): number | undefined {
  const fromSyncStateSet = tryElect(input.syncStateSet, input);
  if (fromSyncStateSet !== undefined || !input.allReplicas) return fromSyncStateSet;
  return tryElect(input.allReplicas, input);
}

function tryElect(brokers: readonly number[], input: ElectPolicyInput): number | undefined {
  const { oldMaster, preferredBrokerId, live } = input;
  const candidates = [...new Set(brokers)].filter((id) => live.has(id));
  if (candidates.length === 0) return undefined;
  if (
    oldMaster !== null &&
    candidates.includes(oldMaster) &&
    (preferredBrokerId === undefined || preferredBrokerId === oldMaster)
  ) {
    return oldMaster;
  }
  if (preferredBrokerId !== undefined)
    return candidates.includes(preferredBrokerId) ? preferredBrokerId : undefined;
  const ranked = candidates
    .map((id) => live.get(id)!)
    .sort(
      (a, b) =>
        b.epoch - a.epoch ||
        b.maxOffset - a.maxOffset ||
        a.electionPriority - b.electionPriority ||
        a.brokerId - b.brokerId,
    );
  return ranked[0].brokerId;
}

/** Who asked for an election (RocketMQ's ElectMasterRequestHeader.of*Trigger). */
export type ElectTrigger =
  /** the controller itself: the master's lease expired (brokerId absent or -1) */
  | { readonly by: "controller" }
  /** a broker without a master: on the very first election it becomes the master itself */
  | { readonly by: "broker"; readonly brokerId: number }
  /** an operator (designateElect): this broker or nobody */
  | { readonly by: "admin"; readonly brokerId: number };

export type ElectOutcome =
  /** a new master (maybe the old one after it was lost): masterEpoch + 1, SyncStateSet = {master} */
  | { readonly kind: "elected"; readonly next: BrokerSetState }
  /** the current master is alive and stays; nothing to write (CONTROLLER_MASTER_STILL_EXIST) */
  | { readonly kind: "kept" }
  /** the master is gone and nobody can take over: master cleared, masterEpoch + 1 fences it */
  | { readonly kind: "masterLost"; readonly next: BrokerSetState };

export interface ElectOptions {
  enableElectUncleanMaster: boolean;
}

/**
 * Decides an election for one broker set. Throws CONTROLLER_ELECT_MASTER_FAILED when a broker or operator asked
 * and nobody can be elected, CONTROLLER_MASTER_NOT_AVAILABLE when the controller asked and there was no master
 * to lose.
 */
export function decideElectMaster(
  state: BrokerSetState,
  trigger: ElectTrigger,
  live: LiveBrokers,
  options: ElectOptions,
): ElectOutcome {
  const replicaIds = state.replicas.map((r) => r.brokerId);
  let newMaster: number | undefined;
  if (state.masterEpoch === 0 && trigger.by !== "controller" && replicaIds.includes(trigger.brokerId)) {
    // first election of this broker set: whoever asks first becomes master (RocketMQ isFirstTimeForElect)
    newMaster = trigger.brokerId;
  } else {
    newMaster = chooseMaster({
      syncStateSet: state.syncStateSet,
      allReplicas: options.enableElectUncleanMaster ? replicaIds : undefined,
      oldMaster: state.masterBrokerId,
      preferredBrokerId: trigger.by === "admin" ? trigger.brokerId : undefined,
      live,
    });
  }
  if (newMaster !== undefined && newMaster === state.masterBrokerId) return { kind: "kept" };
  if (newMaster !== undefined) {
    return {
      kind: "elected",
      next: {
        ...state,
        masterBrokerId: newMaster,
        masterEpoch: state.masterEpoch + 1,
        syncStateSet: [newMaster],
        syncStateSetEpoch: state.syncStateSetEpoch + 1,
      },
    };
  }
  if (trigger.by === "controller" && state.masterBrokerId !== null) {
    return {
      kind: "masterLost",
      next: { ...state, masterBrokerId: null, masterEpoch: state.masterEpoch + 1 },
    };
  }
  if (trigger.by === "controller") {
    throw new MqError(
      ResponseCode.CONTROLLER_MASTER_NOT_AVAILABLE,
      `broker set "${state.brokerName}" has no master and no live replica that can become one`,
    );
  }
  const wanted = trigger.by === "admin" ? `broker ${trigger.brokerId}` : "a new master";
  throw new MqError(
    ResponseCode.CONTROLLER_ELECT_MASTER_FAILED,
    `Failed to elect ${wanted} for broker set "${state.brokerName}": no live candidate in the SyncStateSet ` +
      `[${state.syncStateSet.join(",")}]${options.enableElectUncleanMaster ? " or among all replicas" : ""}`,
  );
}

/** True when the broker set has a master whose lease expired: the liveness scan elects anew. */
export function needsReelection(state: BrokerSetState, live: LiveBrokers): boolean {
  return state.masterBrokerId !== null && !live.has(state.masterBrokerId);
}

export interface AlterSyncStateSetRequest {
  masterBrokerId: number;
  masterEpoch: number;
  syncStateSet: readonly number[];
  syncStateSetEpoch: number;
}

/**
 * A master reports its new SyncStateSet. Fenced first by epoch: a request from another master epoch gets
 * CONTROLLER_FENCED_MASTER_EPOCH, one built on an old SyncStateSet gets CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
 * so a deposed master can never change anything. Returns the next state (SyncStateSet epoch + 1).
 */
export function decideAlterSyncStateSet(
  state: BrokerSetState,
  request: AlterSyncStateSetRequest,
  live: LiveBrokers,
): BrokerSetState {
  const who = `broker set "${state.brokerName}"`;
  if (request.masterEpoch !== state.masterEpoch) {
    throw new MqError(
      ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH,
      `Rejecting alter syncStateSet request because the current master epoch of ${who} is ${state.masterEpoch}, ` +
        `not ${request.masterEpoch}`,
    );
  }
  if (state.masterBrokerId === null || state.masterBrokerId !== request.masterBrokerId) {
    throw new MqError(
      ResponseCode.CONTROLLER_INVALID_MASTER,
      `Rejecting alter syncStateSet request because the current master of ${who} is ${state.masterBrokerId}, ` +
        `not ${request.masterBrokerId}`,
    );
  }
  if (request.syncStateSetEpoch !== state.syncStateSetEpoch) {
    throw new MqError(
      ResponseCode.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
      `Rejecting alter syncStateSet request because the current syncStateSet epoch of ${who} is ` +
        `${state.syncStateSetEpoch}, not ${request.syncStateSetEpoch}`,
    );
  }
  const next = [...new Set(request.syncStateSet)].sort((a, b) => a - b);
  if (next.length === state.syncStateSet.length && next.every((id) => state.syncStateSet.includes(id))) {
    throw new MqError(
      ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
      "The newSyncStateSet is equal with oldSyncStateSet, no needed to update syncStateSet",
    );
  }
  for (const id of next) {
    if (!state.replicas.some((r) => r.brokerId === id)) {
      throw new MqError(
        ResponseCode.CONTROLLER_INVALID_REPLICAS,
        `Rejecting alter syncStateSet request because the replica ${id} is not registered in ${who}`,
      );
    }
    if (!live.has(id)) {
      throw new MqError(
        ResponseCode.CONTROLLER_BROKER_NOT_ALIVE,
        `Rejecting alter syncStateSet request because the replica ${id} of ${who} is not alive`,
      );
    }
  }
  if (!next.includes(state.masterBrokerId)) {
    throw new MqError(
      ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
      `Rejecting alter syncStateSet request because the newSyncStateSet does not contain the master ` +
        `${state.masterBrokerId}`,
    );
  }
  return { ...state, syncStateSet: next, syncStateSetEpoch: state.syncStateSetEpoch + 1 };
}
