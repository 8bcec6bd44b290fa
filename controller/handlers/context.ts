import { MqError } from "../../proto/error.ts";
import type { RemotingHandler } from "../../proto/remoting/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { ElectionRun } from "../elect-master.ts";
import type { ElectTrigger } from "../election.ts";
import type { LeaseStore } from "../lease-store.ts";

/** What the handler families share: the store, the settings, and the election that the liveness scan also runs. */
export interface ControllerContext {
  readonly store: LeaseStore;
  readonly enableElectUncleanMaster: boolean;
  /** lease length for a BROKER_HEARTBEAT without heartbeatTimeoutMills */
  readonly brokerHeartbeatTimeoutMs: number;
  clock(): number;
  /** GET_METADATA_INFO: this controller's id and the address brokers should send requests to */
  identity(): { group: string; controllerId: string; address: string };
  /** Runs one election and, when a new master is elected, tells the live brokers (NOTIFY_BROKER_ROLE_CHANGED). */
  electMaster(brokerName: string, trigger: ElectTrigger): Promise<ElectionRun>;
}

export type HandlerTable = ReadonlyArray<readonly [code: number, handler: RemotingHandler]>;

/** A name header that is present but blank would create or look up a nameless broker set: refuse it. */
export function requireName(value: string, field: string): string {
  if (value.trim() === "")
    throw new MqError(ResponseCode.INVALID_PARAMETER, `header field "${field}" is empty`);
  return value;
}
