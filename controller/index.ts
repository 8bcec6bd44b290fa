/** The controller role: master election and SyncStateSets for controller mode, state shared through Redis. */
export {
  type BrokerMemberGroup,
  type BrokerReplicasInfo,
  decodeElectMasterBody,
  decodeSyncStateSet,
  type ElectMasterResponseBody,
  encodeSyncStateSet,
  type ReplicaIdentity,
  type ReplicasInfo,
  type SyncStateSetBody,
} from "./bodies.ts";
export {
  Controller,
  type ControllerOptions,
  createController,
  defaultControllerOptions,
} from "./controller.ts";
export type { ElectionRun } from "./elect-master.ts";
export { chooseMaster, type ElectPolicyInput, type ElectTrigger } from "./election.ts";
export { ControllerHeader } from "./headers.ts";
export type { BrokerLiveInfo, BrokerSetState, LeaseStore, ReplicaRecord, Versioned } from "./lease-store.ts";
export {
  createMemoryLeaseStore,
  defaultMemoryLeaseStoreOptions,
  type MemoryLeaseStoreOptions,
} from "./memory.ts";
export { createNotifyBrokerRoleChangedRequest } from "./notify.ts";
export {
  createRedisLeaseStore,
  defaultRedisLeaseStoreOptions,
  RedisLeaseStore,
  type RedisLeaseStoreOptions,
} from "./redis.ts";
export { FIRST_BROKER_CONTROLLER_ID } from "./registration.ts";
