import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envName, loadConfig, usage } from "./load.ts";
import { brokerSchema, nameServerSchema, proxySchema } from "./roles.ts";
import { ConfigError } from "./schema.ts";

const dir = mkdtempSync(join(tmpdir(), "bunmq-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function expectConfigError(fn: () => unknown, key: string, fragment: string) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(key);
    expect((err as Error).message).toContain(fragment);
    return;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  test("defaults follow RocketMQ and resolve $BUNMQ_HOME", () => {
    const { config, warnings } = loadConfig(brokerSchema, { env: {}, cwd: "/srv/mq" });
    expect(config.listenPort).toBe(10911);
    expect(config.brokerName).toBe("broker-a");
    expect(config.flushDiskType).toBe("ASYNC_FLUSH");
    expect(config.autoCreateTopicEnable).toBe(true);
    expect(config.transientStorePoolEnable).toBe(false); // ASYNC_FLUSH writes into the segment mapping
    expect(
      loadConfig(brokerSchema, { env: { BUNMQ_TRANSIENT_STORE_POOL_ENABLE: "true" } }).config
        .transientStorePoolEnable,
    ).toBe(true);
    expect(config.storePathRootDir).toBe("/srv/mq/data/store");
    expect(warnings).toEqual([]);
    expect(loadConfig(nameServerSchema, { env: {} }).config.listenPort).toBe(9876);
    const proxy = loadConfig(proxySchema, { env: {} }).config;
    expect([proxy.grpcServerPort, proxy.httpServerPort]).toEqual([8081, 8082]);
  });

  test("reads a broker.conf with typed values and warns about unknown keys", () => {
    const path = file(
      "broker.conf",
      [
        "brokerClusterName=ClusterX",
        "brokerName=broker-b",
        "brokerId=1",
        "listenPort=20911",
        "flushDiskType=sync_flush",
        "brokerRole=SLAVE",
        "autoCreateTopicEnable=FALSE",
        "storePathRootDir=/tmp/store-b",
        "namesrvAddr=127.0.0.1:9876;127.0.0.1:9877",
        "sendMessageThreadPoolNums=4",
      ].join("\n"),
    );
    const { config, warnings, sources } = loadConfig(brokerSchema, { argv: ["-c", path], env: {} });
    expect(config).toMatchObject({
      brokerClusterName: "ClusterX",
      brokerName: "broker-b",
      brokerId: 1,
      listenPort: 20911,
      flushDiskType: "SYNC_FLUSH",
      brokerRole: "SLAVE",
      autoCreateTopicEnable: false,
      storePathRootDir: "/tmp/store-b",
      namesrvAddr: "127.0.0.1:9876;127.0.0.1:9877",
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('unknown config key "sendMessageThreadPoolNums"');
    expect(warnings[0]).toContain("broker.conf:10");
    expect(sources.listenPort).toBe(`file ${path}:4`);
  });

  test("reads rmq-proxy.json with JSON types", () => {
    const path = file(
      "rmq-proxy.json",
      JSON.stringify({ rocketMQClusterName: "C1", proxyMode: "local", grpcServerPort: 18081, extra: 1 }),
    );
    const { config, warnings } = loadConfig(proxySchema, { argv: ["-c", path], env: {} });
    expect(config.proxyMode).toBe("LOCAL");
    expect(config.grpcServerPort).toBe(18081);
    expect(config.rocketMQClusterName).toBe("C1");
    expect(warnings[0]).toContain('"extra"');
  });

  test("precedence is defaults < file < env < flags", () => {
    const path = file("p.conf", "listenPort=1111\nbrokerName=from-file\nbrokerId=3");
    const { config, sources } = loadConfig(brokerSchema, {
      argv: ["-c", path, "--listenPort", "3333", "-n", "10.0.0.1:9876"],
      env: { BUNMQ_LISTEN_PORT: "2222", BUNMQ_BROKER_NAME: "from-env", NAMESRV_ADDR: "1.1.1.1:9876" },
    });
    expect(config.listenPort).toBe(3333);
    expect(config.brokerName).toBe("from-env");
    expect(config.brokerId).toBe(3);
    expect(config.namesrvAddr).toBe("10.0.0.1:9876");
    expect(sources.namesrvAddr).toBe("flag --namesrvAddr");
    expect(sources.brokerName).toBe("env BUNMQ_BROKER_NAME");
  });

  test("NAMESRV_ADDR from the environment, as RocketMQ's scripts use it", () => {
    const { config } = loadConfig(brokerSchema, { env: { NAMESRV_ADDR: "127.0.0.1:19876" } });
    expect(config.namesrvAddr).toBe("127.0.0.1:19876");
  });

  test("aliases map extra flags onto keys (proxy --mode)", () => {
    const { config } = loadConfig(proxySchema, {
      argv: ["--mode", "cluster", "-n", "127.0.0.1:9876"],
      env: {},
      aliases: { mode: "proxyMode" },
    });
    expect(config.proxyMode).toBe("CLUSTER");
    expect(config.namesrvAddr).toBe("127.0.0.1:9876");
  });

  test("-p and -h are reported, not acted on", () => {
    expect(loadConfig(brokerSchema, { argv: ["-p"], env: {} }).printConfig).toBe(true);
    expect(loadConfig(brokerSchema, { argv: ["-h"], env: {} }).help).toBe(true);
    expect(usage("broker", brokerSchema)).toContain("--listenPort <int>  default 10911");
  });

  test("wrong types are rejected with a message naming the key and source", () => {
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["-c", file("bad1.conf", "listenPort=abc")], env: {} }),
      "listenPort",
      'expected an integer, got "abc"',
    );
    expectConfigError(
      () =>
        loadConfig(brokerSchema, { argv: ["-c", file("bad2.conf", "autoCreateTopicEnable=yes")], env: {} }),
      "autoCreateTopicEnable",
      "expected true or false",
    );
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["-c", file("bad3.conf", "flushDiskType=SOMETIMES")], env: {} }),
      "flushDiskType",
      "expected one of ASYNC_FLUSH, SYNC_FLUSH",
    );
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["-c", file("bad4.conf", "listenPort=70000")], env: {} }),
      "listenPort",
      "above the maximum 65535",
    );
    expectConfigError(
      () => loadConfig(proxySchema, { argv: ["-c", file("bad5.json", '{"grpcServerPort": true}')], env: {} }),
      "grpcServerPort",
      "expected an integer, got boolean true",
    );
    expectConfigError(
      () => loadConfig(proxySchema, { argv: ["-c", file("bad6.json", '{"namesrvAddr": ["a"]}')], env: {} }),
      "namesrvAddr",
      "expected a string, got an array",
    );
    expectConfigError(
      () => loadConfig(brokerSchema, { env: { BUNMQ_BROKER_ID: "1.5" } }),
      "brokerId",
      "from env BUNMQ_BROKER_ID",
    );
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["--brokerId", "x"], env: {} }),
      "brokerId",
      "flag",
    );
  });

  test("unreadable or malformed files and unknown flags are clear errors", () => {
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["-c", join(dir, "missing.conf")], env: {} }),
      "(config file)",
      "cannot read",
    );
    expectConfigError(
      () => loadConfig(proxySchema, { argv: ["-c", file("broken.json", "{not json")], env: {} }),
      "(config file)",
      "not valid JSON",
    );
    expectConfigError(
      () => loadConfig(proxySchema, { argv: ["-c", file("array.json", "[1,2]")], env: {} }),
      "(config file)",
      "expected a JSON object",
    );
    expectConfigError(
      () => loadConfig(brokerSchema, { argv: ["--nope", "1"], env: {} }),
      "(command line)",
      "nope",
    );
  });

  test("env names are upper snake case", () => {
    expect(envName("listenPort")).toBe("BUNMQ_LISTEN_PORT");
    expect(envName("brokerIP1")).toBe("BUNMQ_BROKER_IP1");
    expect(envName("checkCRCOnRecover")).toBe("BUNMQ_CHECK_CRC_ON_RECOVER");
  });
});
