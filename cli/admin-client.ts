import { MqError } from "../proto/error.ts";
import {
  type ClusterInfo,
  createRemotingClient,
  createRequest,
  decodeClusterInfo,
  decodeTopicRouteData,
  ensureResponseCode,
  MASTER_ID,
  type RemotingClient,
  type RemotingCommand,
  type TopicRouteData,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";

export interface AdminClientOptions {
  /** Nameservers, tried in order for reads; writes (topic delete, KV config) go to all of them. */
  namesrvAddrs: readonly string[];
  /** Per request, connecting included. */
  timeoutMs: number;
}

export const defaultAdminClientOptions: Readonly<AdminClientOptions> = Object.freeze({
  namesrvAddrs: Object.freeze(["127.0.0.1:9876"]),
  timeoutMs: 5000,
});

/** A broker master (or the lowest-id replica when the master is gone) of a broker name. */
export interface BrokerTarget {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
}

/** Connection failures: the peer is not there, as opposed to a peer that answered with an error. */
function isUnreachable(err: unknown): boolean {
  return (
    err instanceof MqError &&
    (err.code === ResponseCode.RPC_SEND_TO_CHANNEL_FAILED ||
      err.code === ResponseCode.RPC_TIME_OUT ||
      err.code === ResponseCode.RPC_ADDR_IS_NULL)
  );
}

/** The address mqadmin's BrokerData.selectBrokerAddr picks: the master, else the lowest broker id. */
export function selectBrokerAddr(brokerAddrs: Readonly<Record<string, string>>): string | undefined {
  const master = brokerAddrs[String(MASTER_ID)];
  if (master) return master;
  const ids = Object.keys(brokerAddrs)
    .map(Number)
    .filter((id) => Number.isInteger(id))
    .sort((a, b) => a - b);
  return ids.length > 0 ? brokerAddrs[String(ids[0])] : undefined;
}

/**
 * The admin tool's remoting client: nameserver requests with failover over the configured list, broker
 * requests by address, and the route/cluster lookups every command needs. Owns its sockets: `close()` it.
 */
export class AdminClient {
  readonly options: AdminClientOptions;
  private readonly client: RemotingClient;

  constructor(options: Partial<AdminClientOptions> = {}) {
    this.options = { ...defaultAdminClientOptions, ...options };
    this.client = createRemotingClient({
      connectTimeoutMs: this.options.timeoutMs,
      requestTimeoutMs: this.options.timeoutMs,
    });
  }

  /**
   * The first nameserver that answers (unreachable ones are skipped); its response must carry one of `accepted`
   * (default SUCCESS), else the error names that nameserver.
   */
  async invokeNamesrv(cmd: RemotingCommand, ...accepted: number[]): Promise<RemotingCommand> {
    const failures: string[] = [];
    for (const addr of this.options.namesrvAddrs) {
      let response: RemotingCommand;
      try {
        response = await this.client.invoke(addr, cmd, this.options.timeoutMs);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        failures.push(`${addr} (${MqError.from(err).message})`);
        continue;
      }
      try {
        return ensureResponseCode(response, ...accepted);
      } catch (err) {
        const e = MqError.from(err);
        throw new MqError(e.code, `nameserver ${addr}: ${e.message}`);
      }
    }
    throw new MqError(
      ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
      `cannot reach nameserver ${failures.join(", ")}`,
    );
  }

  /** Sends `cmd` to every nameserver and requires SUCCESS from each; the error names the ones that failed. */
  async invokeAllNamesrv(cmd: RemotingCommand): Promise<void> {
    const outcomes = await Promise.allSettled(
      this.options.namesrvAddrs.map(async (addr) => {
        try {
          ensureResponseCode(await this.client.invoke(addr, cmd, this.options.timeoutMs));
        } catch (err) {
          const e = MqError.from(err);
          throw new MqError(
            e.code,
            isUnreachable(e)
              ? `cannot reach nameserver ${addr}: ${e.message}`
              : `nameserver ${addr}: ${e.message}`,
          );
        }
      }),
    );
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed.length > 0) {
      const first = failed[0]!.reason as MqError;
      throw new MqError(first.code, failed.map((f) => (f.reason as MqError).message).join("; "));
    }
  }

  /** A request to one broker; the response must carry one of `accepted` (default SUCCESS). */
  async invokeBroker(
    brokerAddr: string,
    cmd: RemotingCommand,
    ...accepted: number[]
  ): Promise<RemotingCommand> {
    let response: RemotingCommand;
    try {
      response = await this.client.invoke(brokerAddr, cmd, this.options.timeoutMs);
    } catch (err) {
      const e = MqError.from(err);
      throw new MqError(e.code, `cannot reach broker ${brokerAddr}: ${e.message}`, { cause: err });
    }
    try {
      return ensureResponseCode(response, ...accepted);
    } catch (err) {
      const e = MqError.from(err);
      throw new MqError(e.code, `broker ${brokerAddr}: ${e.message}`);
    }
  }

  /** GET_ROUTEINFO_BY_TOPIC; TOPIC_NOT_EXIST when no broker serves it. */
  async topicRoute(topic: string): Promise<TopicRouteData> {
    const response = await this.invokeNamesrv(
      createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic, acceptStandardJsonOnly: true }),
      ResponseCode.SUCCESS,
      ResponseCode.TOPIC_NOT_EXIST,
    );
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) {
      throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} has no route: no broker serves it`);
    }
    return decodeTopicRouteData(response.body);
  }

  /** The route, or undefined when the nameserver has none (TOPIC_NOT_EXIST). */
  async topicRouteIfExists(topic: string): Promise<TopicRouteData | undefined> {
    try {
      return await this.topicRoute(topic);
    } catch (err) {
      if (err instanceof MqError && err.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
      throw err;
    }
  }

  /** GET_BROKER_CLUSTER_INFO. */
  async clusterInfo(): Promise<ClusterInfo> {
    const response = await this.invokeNamesrv(createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
    return decodeClusterInfo(response.body);
  }

  /** One target per broker name of `clusterName` (mqadmin's fetchMasterAddrByClusterName); throws if unknown. */
  async clusterMasters(clusterName: string): Promise<BrokerTarget[]> {
    const info = await this.clusterInfo();
    const names = info.clusterAddrTable[clusterName];
    if (!names) {
      const known = Object.keys(info.clusterAddrTable).sort();
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `cluster ${clusterName} not found on the nameserver (known: ${known.length > 0 ? known.join(", ") : "none"})`,
      );
    }
    return targetsOf(info, [...names].sort());
  }

  /** One target per broker name of every cluster. */
  async allMasters(): Promise<BrokerTarget[]> {
    const info = await this.clusterInfo();
    return targetsOf(info, Object.keys(info.brokerAddrTable).sort());
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function targetsOf(info: ClusterInfo, brokerNames: readonly string[]): BrokerTarget[] {
  const out: BrokerTarget[] = [];
  for (const brokerName of brokerNames) {
    const data = info.brokerAddrTable[brokerName];
    const addr = data ? data.brokerAddrs[String(MASTER_ID)] : undefined;
    if (data && addr) out.push({ clusterName: data.cluster, brokerName, brokerAddr: addr });
  }
  return out;
}

/** One target per broker of a topic route (master, else lowest id), optionally only those of `clusterName`. */
export function routeTargets(route: TopicRouteData, clusterName?: string): BrokerTarget[] {
  const out: BrokerTarget[] = [];
  for (const b of [...route.brokerDatas].sort((x, y) => x.brokerName.localeCompare(y.brokerName))) {
    if (clusterName !== undefined && b.cluster !== clusterName) continue;
    const addr = selectBrokerAddr(b.brokerAddrs);
    if (addr) out.push({ clusterName: b.cluster, brokerName: b.brokerName, brokerAddr: addr });
  }
  return out;
}
