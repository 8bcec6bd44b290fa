import { create } from "@bufbuild/protobuf";
import { type ConfigOf, createLogger, type Logger, proxySchema } from "../config/index.ts";
import { AddressScheme, type Endpoints, EndpointsSchema } from "../proto/v2.ts";
import { GrpcServer } from "./adapter/grpc-server.ts";
import { HttpServer } from "./adapter/http-server.ts";
import type { Backend } from "./backend/backend.ts";
import { ClientSessions } from "./client-sessions.ts";
import { defaultRenewerTiming, HandleRenewer } from "./renewer.ts";
import { createRoutes } from "./routes.ts";
import { defaultProxyLimits, type ProxyLimits, type RpcEnv } from "./rpc/env.ts";
import { createMessagingHandlers } from "./rpc/messaging.ts";
import { transactionCheckListener } from "./rpc/telemetry.ts";
import { defaultSettingsPolicy, type SettingsPolicy } from "./settings.ts";

export type ProxyConfig = ConfigOf<typeof proxySchema>;

export interface ProxyOptions {
  /** ProxyConfig keys (rmq-proxy.json names); ports 0 pick free ones. */
  config: Partial<ProxyConfig>;
  /** Local (in-process broker) or Cluster (remoting) backend. The proxy uses it but does not close it. */
  backend: Backend;
  logger?: Logger;
  /** Limits not in ProxyConfig (long-polling bounds, batch size), or overrides for tests. */
  limits?: Partial<ProxyLimits>;
  settingsPolicy?: Partial<SettingsPolicy>;
  /** Serve Connect / gRPC-Web on httpServerPort too (default true). */
  http?: boolean;
  now?: () => number;
}

/** ProxyConfig defaults: proxySchema's (config/roles.ts), RocketMQ's ProxyConfig values. */
export const defaultProxyConfig: Readonly<ProxyConfig> = Object.freeze(
  Object.fromEntries(Object.entries(proxySchema).map(([key, spec]) => [key, spec.default])) as ProxyConfig,
);

function schemeOf(host: string): AddressScheme {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return AddressScheme.IPv4;
  if (host.includes(":")) return AddressScheme.IPv6;
  return AddressScheme.DOMAIN_NAME;
}

/**
 * The proxy: apache.rocketmq.v2 MessagingService on a native gRPC port (node:http2, h2c) and a Connect /
 * gRPC-Web port (Bun.serve), both over the same handlers and one Backend. It keeps nothing durable.
 */
export class ProxyServer {
  readonly config: ProxyConfig;
  readonly logger: Logger;
  readonly sessions: ClientSessions;
  readonly renewer: HandleRenewer;
  readonly #grpc: GrpcServer;
  readonly #http: HttpServer | undefined;
  readonly #shutdown = new AbortController();
  readonly #unsubscribe: () => void;
  #grpcPort = 0;
  #httpPort = 0;
  #started = false;

  constructor(options: ProxyOptions) {
    const config: ProxyConfig = { ...defaultProxyConfig, ...options.config };
    this.config = config;
    const logger = options.logger ?? createLogger("proxy");
    this.logger = logger;
    const now = options.now ?? Date.now;
    const backend = options.backend;
    const limits: ProxyLimits = {
      ...defaultProxyLimits,
      maxMessageSize: config.maxMessageSize,
      maxUserPropertySize: config.maxUserPropertySize,
      userPropertyMaxNum: config.userPropertyMaxNum,
      maxMessageGroupSize: config.maxMessageGroupSize,
      maxDelayTimeMills: config.maxDelayTimeMills,
      defaultInvisibleTimeMills: config.defaultInvisibleTimeMills,
      minInvisibleTimeMillsForRecv: config.minInvisibleTimeMillsForRecv,
      maxInvisibleTimeMills: config.maxInvisibleTimeMills,
      longPollingReserveTimeInMillis: config.longPollingReserveTimeInMillis,
      ...options.limits,
    };
    this.renewer = new HandleRenewer({
      backend,
      logger,
      invisibleTimeMillis: limits.defaultInvisibleTimeMills,
      ...defaultRenewerTiming,
      renewAheadMillis: Math.min(defaultRenewerTiming.renewAheadMillis, limits.defaultInvisibleTimeMills / 2),
      now,
    });
    this.sessions = new ClientSessions({
      idleTimeMillis: config.grpcClientIdleTimeMills,
      now,
      onExpire: (s) => {
        this.renewer.dropClient(s.clientId);
        backend.unregisterClient(s.clientId).catch((err) => logger.debug({ err }, "unregister failed"));
      },
    });
    const env: RpcEnv = {
      backend,
      sessions: this.sessions,
      renewer: this.renewer,
      limits,
      settingsPolicy: {
        ...defaultSettingsPolicy,
        maxMessageSize: config.maxMessageSize,
        longPollingTimeoutMillis: limits.maxLongPollingTimeoutMillis,
        ...options.settingsPolicy,
      },
      endpoints: () => this.endpoints(),
      logger,
      now,
    };
    this.#unsubscribe = backend.onTransactionCheck(transactionCheckListener(env));
    const routes = createRoutes(createMessagingHandlers(env), {
      maxMessageSize: config.grpcMaxInboundMessageSize,
      shutdownSignal: this.#shutdown.signal,
      now,
    });
    this.#grpc = new GrpcServer({
      routes: routes.grpc,
      maxMessageSize: config.grpcMaxInboundMessageSize,
      logger,
      now,
    });
    this.#http =
      options.http === false
        ? undefined
        : new HttpServer({
            router: routes.connect,
            maxRequestBodySize: config.grpcMaxInboundMessageSize + 1024,
            logger,
          });
  }

  /** This proxy's gRPC endpoint as clients must dial it (QueryRoute answers with it). */
  endpoints(): Endpoints {
    const host = this.config.advertisedAddress;
    return create(EndpointsSchema, {
      scheme: schemeOf(host),
      addresses: [{ host, port: this.#grpcPort || this.config.grpcServerPort }],
    });
  }

  get grpcPort(): number {
    return this.#grpcPort;
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  async start(): Promise<{ grpcPort: number; httpPort: number }> {
    if (this.#started) throw new Error("proxy already started");
    this.#started = true;
    this.#grpcPort = await this.#grpc.listen(this.config.grpcServerPort, this.config.bindAddress);
    try {
      if (this.#http) this.#httpPort = this.#http.listen(this.config.httpServerPort, this.config.bindAddress);
    } catch (err) {
      await this.#grpc.close();
      throw err;
    }
    this.logger.info(
      {
        grpcPort: this.#grpcPort,
        httpPort: this.#httpPort,
        advertisedAddress: this.config.advertisedAddress,
      },
      "proxy started",
    );
    return { grpcPort: this.#grpcPort, httpPort: this.#httpPort };
  }

  /** Stops both ports, ends every stream and forgets client sessions. The backend stays open. */
  async close(): Promise<void> {
    this.#shutdown.abort(new Error("proxy is shutting down"));
    this.#unsubscribe();
    this.sessions.close();
    this.renewer.close();
    await Promise.all([this.#grpc.close(), this.#http?.close()]);
  }
}

/**
 * @example
 * const proxy = createProxy({ config: { grpcServerPort: 0, httpServerPort: 0 }, backend });
 * const { grpcPort } = await proxy.start();
 */
export function createProxy(options: ProxyOptions): ProxyServer {
  return new ProxyServer(options);
}
