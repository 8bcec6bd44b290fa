import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { BrokerSetState, LeaseStore } from "./lease-store.ts";

/** What one decision wants: `next` to store (null deletes, undefined writes nothing) and what to answer. */
export interface Decision<R> {
  next?: BrokerSetState | null;
  result: R;
}

/**
 * Optimistic concurrency over one broker set: read it, `decide` (pure apart from reading leases), then write
 * with compare-and-set on the version that was read. If another controller wrote in between, read again and
 * decide again on the new state (where, e.g., a bumped epoch now fences the request). Refusals thrown by
 * `decide` pass through unchanged.
 */
export async function transactBrokerSet<R>(
  store: LeaseStore,
  brokerName: string,
  decide: (current: BrokerSetState | undefined) => Decision<R> | Promise<Decision<R>>,
  maxAttempts = 16,
): Promise<R> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await store.getBrokerSet(brokerName);
    const decision = await decide(current?.value);
    if (decision.next === undefined) return decision.result;
    if (await store.putBrokerSet(brokerName, current?.version ?? 0, decision.next)) return decision.result;
  }
  throw new MqError(
    ResponseCode.SYSTEM_BUSY,
    `broker set "${brokerName}" changed under ${maxAttempts} attempts in a row; retry`,
  );
}
