import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createRemotingClient } from "../proto/remoting/index.ts";
import { Code, MessagingService, SendMessageRequestSchema } from "../proto/v2.ts";
import {
  createTopicOverRemoting,
  removeDir,
  smallStoreConfig,
  spawnRole,
  startBroker,
  startNameServer,
  tempDir,
} from "./harness.ts";
import { spawnClusterProxy } from "./proxy-harness.ts";

/* `bun run proxy` as a child process: Local mode with its own broker, Cluster mode in front of a nameserver. */

const dirs: string[] = [];
const remoting = createRemotingClient();
afterAll(async () => {
  await remoting.close();
  for (const d of dirs) removeDir(d);
});

const portOf = (line: string, re: RegExp) => Number(re.exec(line)?.[1]);

describe("bun run proxy", () => {
  test("local mode (rmq-proxy.json) runs its own broker, serves both ports and stops cleanly on SIGINT", async () => {
    const dir = tempDir("bunmq-proxy-bin-");
    dirs.push(dir);
    const brokerConf = join(dir, "broker.conf");
    writeFileSync(
      brokerConf,
      [
        "listenPort=0",
        "bindAddress=127.0.0.1",
        `storePathRootDir=${join(dir, "store")}`,
        `mappedFileSizeCommitLog=${smallStoreConfig.mappedFileSizeCommitLog}`,
        `mappedFileSizeConsumeQueue=${smallStoreConfig.mappedFileSizeConsumeQueue}`,
        "namesrvAddr=",
        "",
      ].join("\n"),
    );
    const proxyConf = join(dir, "rmq-proxy.json");
    writeFileSync(
      proxyConf,
      JSON.stringify({ bindAddress: "127.0.0.1", grpcServerPort: 0, httpServerPort: 0 }),
    );
    const proxy = spawnRole("proxy", ["--mode", "local", "-c", proxyConf, "--brokerConfig", brokerConf]);
    try {
      const brokerLine = await proxy.waitForLine(/^broker .* on 127\.0\.0\.1:\d+/);
      const proxyLine = await proxy.waitForLine(/^proxy \(local mode\)/);
      const brokerPort = portOf(brokerLine, /127\.0\.0\.1:(\d+)/);
      const grpcPort = portOf(proxyLine, /gRPC on 127\.0\.0\.1:(\d+)/);
      const httpPort = portOf(proxyLine, /http:\/\/127\.0\.0\.1:(\d+)/);
      await createTopicOverRemoting(remoting, `127.0.0.1:${brokerPort}`, "bin-local", 2);

      const grpc = createClient(
        MessagingService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }),
      );
      const route = await grpc.queryRoute({ topic: { name: "bin-local" } });
      expect(route.status?.code).toBe(Code.OK);
      expect(route.messageQueues[0].broker?.endpoints?.addresses[0]).toMatchObject({
        host: "127.0.0.1",
        port: grpcPort,
      });

      const web = createClient(
        MessagingService,
        createConnectTransport({ baseUrl: `http://127.0.0.1:${httpPort}` }),
      );
      const sent = await web.sendMessage(
        create(SendMessageRequestSchema, {
          messages: [
            {
              topic: { name: "bin-local" },
              systemProperties: { messageId: "01BIN0000000000000000000000000000001" },
              body: new TextEncoder().encode("from the bin test"),
            },
          ],
        }),
      );
      expect(sent.status?.code).toBe(Code.OK);
      const received = [];
      for await (const r of grpc.receiveMessage({
        group: { name: "bin-g" },
        messageQueue: { topic: { name: "bin-local" } },
        batchSize: 4,
        invisibleDuration: durationFromMs(30_000),
        longPollingTimeout: durationFromMs(5000),
      }))
        if (r.content.case === "message") received.push(new TextDecoder().decode(r.content.value.body));
      expect(received).toEqual(["from the bin test"]);
    } finally {
      proxy.proc.kill("SIGINT");
    }
    expect(await proxy.proc.exited).toBe(0);
  }, 30_000);

  test("cluster mode answers routes from the nameserver", async () => {
    const ns = await startNameServer();
    const broker = await startBroker({ namesrvAddr: ns.addr });
    dirs.push(broker.dir);
    const proxy = spawnClusterProxy(ns.addr);
    try {
      await createTopicOverRemoting(remoting, broker.addr, "bin-cluster", 2, ns.addr);
      const line = await proxy.waitForLine(/^proxy \(cluster mode\)/);
      const grpc = createClient(
        MessagingService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${portOf(line, /gRPC on 127\.0\.0\.1:(\d+)/)}` }),
      );
      const route = await grpc.queryRoute({ topic: { name: "bin-cluster" } });
      expect(route.status?.code).toBe(Code.OK);
      expect(route.messageQueues.map((q) => q.broker?.name)).toEqual(["broker-a", "broker-a"]);
      expect((await grpc.queryRoute({ topic: { name: "bin-missing" } })).status?.code).toBe(
        Code.TOPIC_NOT_FOUND,
      );
    } finally {
      proxy.proc.kill("SIGINT");
      expect(await proxy.proc.exited).toBe(0);
      await broker.close();
      await ns.close();
    }
  }, 30_000);
});
