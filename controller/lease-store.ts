/**
 * Where the controller keeps its state, so that any number of controller processes can share it. Two kinds of
 * record live here:
 * - one versioned record per broker set (brokerName), changed only by compare-and-set on its version: every
 *   decision is "read, decide (pure, election.ts / registration.ts), write if nobody wrote in between";
 * - one lease per live broker (brokerName + brokerId), renewed by BROKER_HEARTBEAT and gone when it expires.
 *
 * Two implementations run the same suite (lease-store.cases.ts): memory.ts (one process, injectable clock) and
 * redis.ts (shared, Redis keeps time for leases).
 */

/** One registered replica of a broker set (RocketMQ's BrokerReplicaInfo entry). */
export interface ReplicaRecord {
  /** persistent broker id handed out by APPLY_BROKER_ID, starting at 1 */
  readonly brokerId: number;
  /** "ip:port" of the broker's remoting server */
  readonly brokerAddress: string;
  /** "ip:port;timestamp" the broker chose when it applied for the id; proves a re-apply is the same broker */
  readonly registerCheckCode: string;
}

/** What the controller decided about one broker set: RocketMQ's BrokerReplicaInfo + SyncStateInfo in one record. */
export interface BrokerSetState {
  readonly clusterName: string;
  readonly brokerName: string;
  /** null: never elected yet, or the master was lost with nobody to take over */
  readonly masterBrokerId: number | null;
  /** bumped by every master change (0 = never elected) */
  readonly masterEpoch: number;
  /** broker ids in sync with the master, master included; sorted */
  readonly syncStateSet: readonly number[];
  /** bumped by every SyncStateSet change */
  readonly syncStateSetEpoch: number;
  /** what CONTROLLER_GET_NEXT_BROKER_ID answers */
  readonly nextAssignBrokerId: number;
  /** sorted by brokerId */
  readonly replicas: readonly ReplicaRecord[];
}

/** A stored record and the version a compare-and-set must name to replace it. */
export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** What a broker's BROKER_HEARTBEAT told us (RocketMQ's BrokerLiveInfo without the channel). */
export interface BrokerLiveInfo {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  /** last epoch in the broker's epoch file (-1 unknown) */
  readonly epoch: number;
  /** CommitLog max physical offset (-1 unknown) */
  readonly maxOffset: number;
  readonly confirmOffset: number;
  /** lower wins among equals; Java's default is Integer.MAX_VALUE */
  readonly electionPriority: number;
  /** the lease length: the broker is dead this long after its last heartbeat */
  readonly heartbeatTimeoutMillis: number;
  /** controller clock at the last heartbeat (informational; expiry is the store's business) */
  readonly lastUpdateTimestamp: number;
}

export interface LeaseStore {
  /** for log lines and error messages, e.g. "redis 127.0.0.1:6379" */
  readonly description: string;
  /** Resolves once the store answers; throws MqError(SYSTEM_ERROR) naming the store otherwise. */
  ping(): Promise<void>;
  getBrokerSet(brokerName: string): Promise<Versioned<BrokerSetState> | undefined>;
  /**
   * Compare-and-set: stores `next` (or deletes the record when `next` is null) only if the stored version is
   * still `expectedVersion` (0 = there must be no record). False when someone else wrote first. Versions never
   * repeat, not even after a delete, so an old read can never match a newer record.
   */
  putBrokerSet(brokerName: string, expectedVersion: number, next: BrokerSetState | null): Promise<boolean>;
  /** Names of all stored broker sets, sorted. */
  listBrokerSets(): Promise<string[]>;
  /**
   * Starts or renews the lease of `info.brokerName`/`info.brokerId` for `info.heartbeatTimeoutMillis`. While the
   * lease lives, epoch and maxOffset only move forward (a late, reordered heartbeat cannot lower them), as in
   * RocketMQ's DefaultBrokerHeartbeatManager.
   */
  renewBrokerLease(info: BrokerLiveInfo): Promise<void>;
  /** The brokers among `brokerIds` whose lease has not expired. */
  liveBrokers(brokerName: string, brokerIds: readonly number[]): Promise<Map<number, BrokerLiveInfo>>;
}
