/**
 * `npm start`: a whole bunmq in one Bun process: nameserver (9876), broker (10911) and a Local-mode proxy (gRPC
 * 8081, Connect / gRPC-Web 8082), data under $BUNMQ_HOME (default ./data). Ctrl-C closes them in reverse order.
 * `--namesrvPort --brokerPort --grpcServerPort --httpServerPort` move a port (0 = any free one); the lines
 * printed once serving name the ports actually bound.
 */
import { createBroker } from "../broker/index.ts";
import { brokerSchema, createLogger, loadConfig, nameServerSchema, proxySchema } from "../config/index.ts";
import { createNameServer } from "../nameserver/index.ts";
import { createLocalBackend, createProxy } from "../proxy/index.ts";
import { roleMain } from "./role-main.ts";

// Each role's defaults with $BUNMQ_HOME resolved. Role-specific env names (BUNMQ_LISTEN_PORT...) would apply
// to several roles at once here, so only BUNMQ_HOME is read; run the roles separately to configure them.
const defaults = <S extends Parameters<typeof loadConfig>[0]>(schema: S) =>
  loadConfig(schema, { argv: [], env: { BUNMQ_HOME: process.env.BUNMQ_HOME } }).config;

const port = (def: number, doc: string) => ({ type: "int", default: def, min: 0, max: 65535, doc }) as const;

const startSchema = {
  namesrvPort: port(9876, "nameserver remoting port"),
  brokerPort: port(10911, "broker remoting port"),
  grpcServerPort: port(8081, "proxy gRPC port (RocketMQ 5 SDKs)"),
  httpServerPort: port(8082, "proxy Connect / gRPC-Web port"),
};

await roleMain({
  role: "bunmq",
  schema: startSchema,
  async start(ports) {
    const closers: (() => Promise<void>)[] = [];
    const close = async () => {
      for (const c of closers) await c();
    };
    try {
      const ns = defaults(nameServerSchema);
      const nameServer = createNameServer({
        host: ns.bindAddress,
        listenPort: ports.namesrvPort,
        brokerChannelExpiredMs: ns.brokerChannelExpiredTime,
        scanIntervalMs: ns.scanNotActiveBrokerInterval,
        orderMessageEnable: ns.orderMessageEnable,
        kvConfigPath: ns.kvConfigPath || undefined,
        logger: createLogger("nameserver"),
      });
      const nsPort = await nameServer.start();
      closers.unshift(() => nameServer.close());

      const bc = {
        ...defaults(brokerSchema),
        namesrvAddr: `127.0.0.1:${nsPort}`,
        listenPort: ports.brokerPort,
      };
      const broker = createBroker({ config: bc, logger: createLogger("broker") });
      await broker.start();
      closers.unshift(() => broker.close());

      const backend = createLocalBackend({ broker: broker.api });
      closers.unshift(() => backend.close());
      const pc = {
        ...defaults(proxySchema),
        proxyMode: "LOCAL" as const,
        namesrvAddr: `127.0.0.1:${nsPort}`,
        grpcServerPort: ports.grpcServerPort,
        httpServerPort: ports.httpServerPort,
      };
      const proxy = createProxy({ config: pc, backend, logger: createLogger("proxy") });
      await proxy.start();
      closers.unshift(() => proxy.close());

      return {
        endpoints: [
          `nameserver  ${ns.bindAddress}:${nsPort} (remoting)`,
          `broker      ${bc.brokerName} on ${bc.bindAddress}:${broker.port} (remoting), store ${bc.storePathRootDir}`,
          `proxy gRPC  ${pc.advertisedAddress}:${proxy.grpcPort} (RocketMQ 5 SDKs: endpoints=${pc.advertisedAddress}:${proxy.grpcPort})`,
          `proxy HTTP  http://${pc.advertisedAddress}:${proxy.httpPort} (Connect, gRPC-Web, Connect JSON)`,
          "Ctrl-C to stop.",
        ],
        close,
      };
    } catch (err) {
      await close();
      throw err;
    }
  },
});
