import type { Logger } from "../../config/index.ts";
import { MqError } from "../../proto/error.ts";
import {
  createRequest,
  decodeTopicRouteData,
  ensureResponseCode,
  MASTER_ID,
  type RemotingClient,
  type TopicRouteData,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/**
 * Cluster mode's view of the nameserver: topic routes fetched on first use and refreshed on a timer, and the
 * master address of each broker name seen in any route. A topic that disappears is dropped on refresh.
 */
export interface RouteCacheOptions {
  client: RemotingClient;
  /** Nameserver addresses ("host:port"); the first that answers wins. */
  namesrvAddrs: string[];
  refreshIntervalMillis: number;
  requestTimeoutMillis: number;
  logger: Logger;
}

export class RouteCache {
  readonly #routes = new Map<string, TopicRouteData>();
  readonly #masters = new Map<string, string>();
  readonly #inflight = new Map<string, Promise<TopicRouteData>>();
  readonly #options: RouteCacheOptions;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: RouteCacheOptions) {
    if (options.namesrvAddrs.length === 0)
      throw new MqError(ResponseCode.RPC_ADDR_IS_NULL, "Cluster mode needs at least one nameserver address");
    this.#options = options;
    this.#timer = setInterval(() => void this.refreshAll(), options.refreshIntervalMillis);
    this.#timer.unref?.();
  }

  /** The topic's route, from the cache or the nameserver; MqError TOPIC_NOT_EXIST when there is none. */
  async get(topic: string): Promise<TopicRouteData> {
    return this.#routes.get(topic) ?? this.#fetch(topic);
  }

  /** Master address of a broker, looking at `topicHint`'s route when no cached route names it yet. */
  async masterAddr(brokerName: string, topicHint?: string): Promise<string> {
    let addr = this.#masters.get(brokerName);
    if (!addr && topicHint) {
      await this.#fetch(topicHint).catch(() => undefined);
      addr = this.#masters.get(brokerName);
    }
    if (!addr)
      throw new MqError(ResponseCode.BROKER_NOT_EXIST, `broker ${brokerName} is not in any known route`);
    return addr;
  }

  /** Every broker master seen so far, by name. */
  masters(): Map<string, string> {
    return new Map(this.#masters);
  }

  async refreshAll(): Promise<void> {
    await Promise.all(
      [...this.#routes.keys()].map((topic) =>
        this.#fetch(topic).catch((err) => {
          if (MqError.from(err).code === ResponseCode.TOPIC_NOT_EXIST) this.#routes.delete(topic);
          else this.#options.logger.warn({ err, topic }, "route refresh failed");
        }),
      ),
    );
  }

  #fetch(topic: string): Promise<TopicRouteData> {
    const pending = this.#inflight.get(topic);
    if (pending) return pending;
    const p = this.#query(topic).finally(() => this.#inflight.delete(topic));
    this.#inflight.set(topic, p);
    return p;
  }

  async #query(topic: string): Promise<TopicRouteData> {
    let lastError: unknown;
    for (const addr of this.#options.namesrvAddrs) {
      try {
        const response = await this.#options.client.invoke(
          addr,
          createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic, acceptStandardJsonOnly: true }),
          this.#options.requestTimeoutMillis,
        );
        ensureResponseCode(response, ResponseCode.SUCCESS);
        const route = decodeTopicRouteData(response.body);
        this.#routes.set(topic, route);
        for (const b of route.brokerDatas) {
          const master = b.brokerAddrs[String(MASTER_ID)];
          if (master) this.#masters.set(b.brokerName, master);
        }
        return route;
      } catch (err) {
        // A nameserver that does not know the topic has answered; only transport failures try the next one.
        if (MqError.from(err).code === ResponseCode.TOPIC_NOT_EXIST) throw err;
        lastError = err;
      }
    }
    throw MqError.from(lastError);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#routes.clear();
  }
}
