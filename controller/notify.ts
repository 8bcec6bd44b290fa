import { createRequest, type RemotingCommand } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { encodeSyncStateSet } from "./bodies.ts";
import type { ElectionRun } from "./elect-master.ts";
import type { BrokerSetState } from "./lease-store.ts";

/** NOTIFY_BROKER_ROLE_CHANGED (1008): who the master is now, so brokers switch role without waiting to poll. */
export function createNotifyBrokerRoleChangedRequest(state: BrokerSetState): RemotingCommand {
  const master = state.replicas.find((r) => r.brokerId === state.masterBrokerId);
  return createRequest(
    RequestCode.NOTIFY_BROKER_ROLE_CHANGED,
    {
      masterAddress: master?.brokerAddress,
      masterEpoch: state.masterEpoch,
      syncStateSetEpoch: state.syncStateSetEpoch,
      masterBrokerId: master?.brokerId,
    },
    encodeSyncStateSet(state),
  );
}

/** The addresses to notify after an election: every replica whose lease was alive when it was decided. */
export function notifyTargets(run: ElectionRun): string[] {
  return run.state.replicas.filter((r) => run.live.has(r.brokerId)).map((r) => r.brokerAddress);
}
