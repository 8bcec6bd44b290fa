import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { decideElectMaster, type ElectOptions, type ElectTrigger, type LiveBrokers } from "./election.ts";
import type { BrokerSetState, LeaseStore } from "./lease-store.ts";
import { transactBrokerSet } from "./transact.ts";

/** How an election ended, the broker set as it now stands, and who was live when it was decided. */
export interface ElectionRun {
  outcome: "elected" | "kept" | "masterLost";
  state: BrokerSetState;
  live: LiveBrokers;
}

/**
 * One election for one broker set: read it and the leases of its replicas, decide (election.ts), write with
 * compare-and-set. Two controllers racing on the same epoch cannot both win: the loser re-reads, finds the new
 * master alive and ends with "kept".
 */
export function runElection(
  store: LeaseStore,
  brokerName: string,
  trigger: ElectTrigger,
  options: ElectOptions,
): Promise<ElectionRun> {
  return transactBrokerSet<ElectionRun>(store, brokerName, async (current) => {
    if (!current) {
      throw new MqError(
        ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
        `Broker-set: ${brokerName} hasn't been registered in controller`,
      );
    }
    const live = await store.liveBrokers(
      brokerName,
      current.replicas.map((r) => r.brokerId),
    );
    const outcome = decideElectMaster(current, trigger, live, options);
    if (outcome.kind === "kept") return { result: { outcome: "kept", state: current, live } };
    return { next: outcome.next, result: { outcome: outcome.kind, state: outcome.next, live } };
  });
}
