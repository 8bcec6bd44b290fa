/** `bun run nameserver [-c namesrv.conf] [--listenPort 9876]`: the routing registry. */
import { nameServerSchema } from "../config/index.ts";
import { createNameServer } from "../nameserver/index.ts";
import { roleMain } from "./role-main.ts";

await roleMain({
  role: "nameserver",
  schema: nameServerSchema,
  async start(config, logger) {
    const nameServer = createNameServer({
      host: config.bindAddress,
      listenPort: config.listenPort,
      brokerChannelExpiredMs: config.brokerChannelExpiredTime,
      scanIntervalMs: config.scanNotActiveBrokerInterval,
      orderMessageEnable: config.orderMessageEnable,
      kvConfigPath: config.kvConfigPath || undefined,
      logger,
    });
    const port = await nameServer.start();
    return {
      endpoints: [`nameserver listening on ${config.bindAddress}:${port} (remoting)`],
      close: () => nameServer.close(),
    };
  },
});
