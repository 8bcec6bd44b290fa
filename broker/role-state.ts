import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { isReadable, isWriteable } from "./topic-config.ts";

export type BrokerRole = "ASYNC_MASTER" | "SYNC_MASTER" | "SLAVE";

/**
 * The broker's role and permission: run-time state, not start-up constants, because a controller may turn a slave
 * into a master (and an operator may wipe write permission) while the broker runs.
 */
export interface RoleState {
  role: BrokerRole;
  /** PermName bits (brokerPermission). */
  brokerPermission: number;
}

/** Throws unless producers may write here (a slave refuses, as does a broker without write permission). */
export function checkWritable(state: RoleState, brokerName: string): void {
  if (state.role === "SLAVE")
    throw new MqError(ResponseCode.SERVICE_NOT_AVAILABLE, "the broker is a slave, don't allow write");
  if (!isWriteable(state.brokerPermission))
    throw new MqError(ResponseCode.NO_PERMISSION, `the broker[${brokerName}] sending message is forbidden`);
}

export function checkReadable(state: RoleState, brokerName: string): void {
  if (!isReadable(state.brokerPermission))
    throw new MqError(ResponseCode.NO_PERMISSION, `the broker[${brokerName}] pulling message is forbidden`);
}
