import { MqError } from "../proto/error.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody } from "../proto/remoting/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { LiveBrokers } from "./election.ts";
import type { BrokerSetState } from "./lease-store.ts";

/*
 * JSON bodies of the controller requests, shaped as RocketMQ's remoting/protocol/body classes (SyncStateSet,
 * ElectMasterResponseBody, BrokerMemberGroup, BrokerReplicasInfo). Absent values are left out, as fastjson does
 * with nulls.
 */

/** body of ALTER_SYNC_STATE_SET (request and response), GET_REPLICA_INFO, REGISTER_BROKER, NOTIFY_BROKER_ROLE_CHANGED */
export interface SyncStateSetBody {
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

export interface BrokerMemberGroup {
  cluster: string;
  brokerName: string;
  /** brokerId -> address */
  brokerAddrs: Record<string, string>;
}

export interface ElectMasterResponseBody {
  brokerMemberGroup?: BrokerMemberGroup;
  syncStateSet: number[];
}

export interface ReplicaIdentity {
  brokerName: string;
  brokerId: number;
  brokerAddress: string;
  alive: boolean;
}

export interface ReplicasInfo {
  masterBrokerId?: number;
  masterAddress?: string;
  masterEpoch: number;
  syncStateSetEpoch: number;
  inSyncReplicas: ReplicaIdentity[];
  notInSyncReplicas: ReplicaIdentity[];
}

/** body of GET_SYNC_STATE_DATA's response */
export interface BrokerReplicasInfo {
  replicasInfoTable: Record<string, ReplicasInfo>;
}

export function encodeSyncStateSet(
  state: Pick<BrokerSetState, "syncStateSet" | "syncStateSetEpoch">,
): Uint8Array {
  return encodeJsonBody({ syncStateSet: state.syncStateSet, syncStateSetEpoch: state.syncStateSetEpoch });
}

function integer(what: string, v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = bodyReader(what).number(v, path);
  if (!Number.isInteger(n) || Math.abs(n) > max) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed ${what} body: ${path} must be an integer`);
  }
  return n;
}

export function decodeSyncStateSet(body: Uint8Array | undefined): SyncStateSetBody {
  const r = bodyReader("SyncStateSet");
  const o = r.object(decodeJsonBody(body, "SyncStateSet"), "$");
  return {
    syncStateSet: r
      .array(o.syncStateSet, "syncStateSet")
      .map((v, i) => integer("SyncStateSet", v, `syncStateSet[${i}]`)),
    syncStateSetEpoch: integer("SyncStateSet", o.syncStateSetEpoch, "syncStateSetEpoch", 2 ** 31 - 1),
  };
}

export function brokerMemberGroupOf(state: BrokerSetState): BrokerMemberGroup {
  return {
    cluster: state.clusterName,
    brokerName: state.brokerName,
    brokerAddrs: Object.fromEntries(state.replicas.map((r) => [String(r.brokerId), r.brokerAddress])),
  };
}

export function encodeElectMasterBody(state: BrokerSetState): Uint8Array {
  const body: ElectMasterResponseBody = {
    brokerMemberGroup: brokerMemberGroupOf(state),
    syncStateSet: [...state.syncStateSet],
  };
  return encodeJsonBody(body);
}

export function decodeElectMasterBody(body: Uint8Array | undefined): ElectMasterResponseBody {
  const r = bodyReader("ElectMasterResponseBody");
  const o = r.object(decodeJsonBody(body, "ElectMasterResponseBody"), "$");
  const out: ElectMasterResponseBody = {
    syncStateSet: r
      .array(o.syncStateSet, "syncStateSet", [])
      .map((v, i) => integer("ElectMasterResponseBody", v, `syncStateSet[${i}]`)),
  };
  if (o.brokerMemberGroup !== undefined && o.brokerMemberGroup !== null) {
    const g = r.object(o.brokerMemberGroup, "brokerMemberGroup");
    const addrs = r.object(g.brokerAddrs, "brokerMemberGroup.brokerAddrs", {});
    out.brokerMemberGroup = {
      cluster: r.string(g.cluster, "brokerMemberGroup.cluster", ""),
      brokerName: r.string(g.brokerName, "brokerMemberGroup.brokerName", ""),
      brokerAddrs: Object.fromEntries(
        Object.entries(addrs).map(([id, addr]) => [
          id,
          r.string(addr, `brokerMemberGroup.brokerAddrs.${id}`),
        ]),
      ),
    };
  }
  return out;
}

/** GET_SYNC_STATE_DATA's request body: a JSON list of broker names. */
export function decodeBrokerNames(body: Uint8Array | undefined): string[] {
  const r = bodyReader("broker name list");
  const names = r.array(decodeJsonBody(body, "broker name list"), "$");
  return names.map((v, i) => r.string(v, `$[${i}]`));
}

export function replicasInfoOf(state: BrokerSetState, live: LiveBrokers): ReplicasInfo {
  const inSyncReplicas: ReplicaIdentity[] = [];
  const notInSyncReplicas: ReplicaIdentity[] = [];
  for (const r of state.replicas) {
    const identity = {
      brokerName: state.brokerName,
      brokerId: r.brokerId,
      brokerAddress: r.brokerAddress,
      alive: live.has(r.brokerId),
    };
    (state.syncStateSet.includes(r.brokerId) ? inSyncReplicas : notInSyncReplicas).push(identity);
  }
  const master = state.replicas.find((r) => r.brokerId === state.masterBrokerId);
  return {
    ...(master ? { masterBrokerId: master.brokerId, masterAddress: master.brokerAddress } : {}),
    masterEpoch: state.masterEpoch,
    syncStateSetEpoch: state.syncStateSetEpoch,
    inSyncReplicas,
    notInSyncReplicas,
  };
}
