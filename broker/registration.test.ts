import { test } from "bun:test";
import { createNameServer } from "../nameserver/index.ts";
import { removeDir, startBroker, waitFor } from "../tests/harness.ts";

function unusedPort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

test("a broker started before its nameserver registers within seconds, not a whole registerNameServerPeriod", async () => {
  const port = unusedPort();
  const broker = await startBroker({
    namesrvAddr: `127.0.0.1:${port}`,
    config: { registerNameServerPeriod: 60_000 },
  });
  const nameServer = createNameServer({ host: "127.0.0.1", listenPort: port });
  try {
    await nameServer.start();
    // The first registration failed (nothing listened); only a retry sooner than the period can land it in time.
    await waitFor(
      "the nameserver to list the broker",
      () => nameServer.routeTable.queryBrokerTopicConfig("DefaultCluster", broker.addr),
      10_000,
    );
  } finally {
    await broker.close();
    await nameServer.close();
    removeDir(broker.dir);
  }
});
