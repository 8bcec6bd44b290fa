/** `bun run broker -c broker.conf [-n namesrvAddr] [--listenPort 10911]`: stores messages and serves clients. */
import { createBroker } from "../broker/index.ts";
import { brokerSchema } from "../config/index.ts";
import { roleMain } from "./role-main.ts";

await roleMain({
  role: "broker",
  schema: brokerSchema,
  async start(config, logger) {
    const broker = createBroker({ config, logger });
    await broker.start();
    return {
      endpoints: [
        `broker ${config.brokerName} (${config.brokerClusterName}, id ${config.brokerId}) listening on ${config.bindAddress}:${broker.port} (remoting), address ${broker.brokerAddr}, store ${config.storePathRootDir}`,
      ],
      close: () => broker.close(),
    };
  },
});
