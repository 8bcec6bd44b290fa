import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { runAdmin } from "../cli/index.ts";
import { createOffsetMessageId, MessageSysFlag } from "../proto/message/index.ts";
import {
  type RunningBroker,
  type RunningNameServer,
  removeDir,
  startBroker,
  startNameServer,
  waitFor,
} from "./harness.ts";

/*
 * `bun run admin` against a real nameserver and a real broker on free ports: every command's happy path as text
 * and --json, and its failures (bad flags, unknown topic/group/message, unreachable nameserver or broker) as a
 * one-line error with exit status 2 (command line) or 1 (operation).
 */

const CLUSTER = "AdminCluster";
const BROKER_NAME = "admin-broker-a";
const utf8 = new TextEncoder();

let ns: RunningNameServer;
let broker: RunningBroker;
/** A port nothing listens on (bound, then released). */
let deadAddr: string;

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** runAdmin in-process with -n pointing at the test nameserver unless `namesrv` is given. */
async function admin(args: string[], opts: { namesrv?: string | null; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const namesrv = opts.namesrv === undefined ? ns.addr : opts.namesrv;
  const argv = namesrv === null ? args : [...args, "-n", namesrv];
  const code = await runAdmin(argv, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: opts.env ?? {},
  });
  return { code, out, err } satisfies Run;
}

/** A failed run: the given status and exactly one error line matching `re`. */
function expectFailure(run: Run, code: 1 | 2, re: RegExp) {
  expect({ code: run.code, err: run.err }).toEqual({ code, err: [expect.stringMatching(re)] });
  expect(run.err[0]).toStartWith("error: ");
}

async function routeExists(topic: string): Promise<boolean> {
  return (await admin(["topicRoute", "-t", topic])).code === 0;
}

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({
    namesrvAddr: ns.addr,
    config: { brokerClusterName: CLUSTER, brokerName: BROKER_NAME },
  });
  await waitFor("the broker on the nameserver", async () => {
    const run = await admin(["clusterList", "--json"]);
    return run.code === 0 && run.out[0]!.includes(BROKER_NAME);
  });
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  deadAddr = `127.0.0.1:${listener.port}`;
  listener.stop(true);
});

afterAll(async () => {
  await broker?.close();
  await ns?.close();
  if (broker) removeDir(broker.dir);
});

describe("command line", () => {
  test("no command prints the list and exits 2; -h prints it and exits 0", async () => {
    const none = await admin([], { namesrv: null });
    expect(none.code).toBe(2);
    expect(none.err.join("\n")).toContain("updateTopic");
    const help = await admin(["-h"], { namesrv: null });
    expect(help.code).toBe(0);
    const names = ["updateTopic", "deleteTopic", "topicList", "topicRoute", "topicStatus", "clusterList"];
    for (const name of [...names, "consumerProgress", "queryMsgById"]) {
      expect(help.out.some((l) => l.trimStart().startsWith(`${name} `))).toBe(true);
    }
  });

  test("each command has -h with its flags", async () => {
    const run = await admin(["updateTopic", "-h"], { namesrv: null });
    expect(run.code).toBe(0);
    const text = run.out.join("\n");
    for (const flag of [
      "-t, --topic",
      "-b, --brokerAddr",
      "-c, --clusterName",
      "-a, --attributes",
      "--messageType",
    ]) {
      expect(text).toContain(flag);
    }
    expect((await admin(["help", "queryMsgById"], { namesrv: null })).out.join("\n")).toContain(
      "-i, --msgId",
    );
  });

  test("unknown command: exit 2, one line, with a hint", async () => {
    expectFailure(await admin(["topiclist"]), 2, /unknown command "topiclist" \(did you mean topicList\?\)/);
    expectFailure(await admin(["nope"]), 2, /unknown command "nope"/);
  });

  test("bad flags: exit 2 naming the flag", async () => {
    expectFailure(await admin(["topicRoute"]), 2, /missing required flag -t \(--topic\)/);
    expectFailure(await admin(["topicRoute", "-t", "A", "-x"]), 2, /unknown flag -x/);
    expectFailure(await admin(["topicRoute", "-t"]), 2, /-t \(--topic\) needs a value/);
    expectFailure(await admin(["updateTopic", "-t", "A"]), 2, /exactly one of -b .* or -c/);
    expectFailure(await admin(["updateTopic", "-t", "A", "-b", "h:1", "-c", CLUSTER]), 2, /exactly one/);
    expectFailure(
      await admin(["updateTopic", "-t", "A", "-c", CLUSTER, "-r", "x"]),
      2,
      /-r \(--readQueueNums\)/,
    );
    expectFailure(await admin(["updateTopic", "-t", "A", "-c", CLUSTER, "-w", "0"]), 2, /1\.\.1024, got "0"/);
    expectFailure(await admin(["updateTopic", "-t", "A", "-c", CLUSTER, "-o", "maybe"]), 2, /true or false/);
    expectFailure(
      await admin(["updateTopic", "-t", "A", "-c", CLUSTER, "--messageType", "BOGUS"]),
      2,
      /FIFO/,
    );
    expectFailure(
      await admin([
        "updateTopic",
        "-t",
        "A",
        "-c",
        CLUSTER,
        "-a",
        "+message.type=FIFO",
        "--messageType",
        "DELAY",
      ]),
      2,
      /contradicts/,
    );
    expectFailure(
      await admin(["updateTopic", "-t", "A", "-c", CLUSTER, "-a", "message.type"]),
      2,
      /attribute/,
    );
    expectFailure(await admin(["deleteTopic", "-t", "A"]), 2, /missing required flag -c/);
    expectFailure(await admin(["consumerProgress"]), 2, /missing required flag -g/);
    expectFailure(await admin(["queryMsgById"]), 2, /missing required flag -i/);
    expectFailure(await admin(["topicList"], { namesrv: "localhost" }), 2, /not host:port/);
  });
});

describe("unreachable nameserver", () => {
  test("every command fails with exit 1 and one line naming the address", async () => {
    const commands = [
      ["topicList"],
      ["topicRoute", "-t", "A"],
      ["topicStatus", "-t", "A"],
      ["clusterList"],
      ["updateTopic", "-t", "A", "-c", CLUSTER],
      ["deleteTopic", "-t", "A", "-c", CLUSTER],
      ["consumerProgress", "-g", "G"],
      ["queryMsgById", "-i", "NOT_AN_OFFSET_ID", "-t", "A"],
    ];
    for (const args of commands) {
      expectFailure(
        await admin(args, { namesrv: deadAddr }),
        1,
        new RegExp(`cannot reach nameserver ${deadAddr}`),
      );
    }
  });

  test("NAMESRV_ADDR is used without -n", async () => {
    const run = await admin(["topicList"], { namesrv: null, env: { NAMESRV_ADDR: deadAddr } });
    expectFailure(run, 1, new RegExp(deadAddr));
    expect((await admin(["topicList"], { namesrv: null, env: { NAMESRV_ADDR: ns.addr } })).code).toBe(0);
  });

  test("a peer that is not a nameserver: exit 1 naming it", async () => {
    expectFailure(
      await admin(["topicList"], { namesrv: broker.addr }),
      1,
      new RegExp(`nameserver ${broker.addr}: request type 206 not supported`),
    );
  });

  test("a dead nameserver in the list is skipped", async () => {
    const run = await admin(["clusterList", "--json"], { namesrv: `${deadAddr};${ns.addr}` });
    expect(run.code).toBe(0);
    expect(run.out[0]).toContain(BROKER_NAME);
  });
});

describe("clusterList", () => {
  test("lists cluster, broker name, id, address and the broker's version", async () => {
    const run = await admin(["clusterList"]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^#Cluster Name\s+#Broker Name\s+#BID\s+#Addr\s+#Version\s+#InTPS\s+#OutTPS$/);
    expect(run.out[1]!.split(/\s+/).slice(0, 5)).toEqual([CLUSTER, BROKER_NAME, "0", broker.addr, "V5_3_3"]);
  });

  test("--json and -c", async () => {
    const run = await admin(["clusterList", "--json", "-c", CLUSTER]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out[0]!).brokers).toEqual([
      expect.objectContaining({
        clusterName: CLUSTER,
        brokerName: BROKER_NAME,
        brokerId: 0,
        brokerAddr: broker.addr,
        version: "V5_3_3",
        reachable: true,
      }),
    ]);
    expectFailure(
      await admin(["clusterList", "-c", "NoCluster"]),
      1,
      /cluster NoCluster not found.*AdminCluster/,
    );
  });
});

describe("topics", () => {
  test("updateTopic -c creates on the cluster's master with a message type; topicRoute shows it", async () => {
    const run = await admin([
      "updateTopic",
      "-c",
      CLUSTER,
      "-t",
      "AdminFifo",
      "-r",
      "2",
      "-w",
      "2",
      "--messageType",
      "FIFO",
    ]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toBe(`create topic to ${broker.addr} success.`);
    expect(JSON.parse(run.out[1]!)).toMatchObject({
      topicName: "AdminFifo",
      attributes: "+message.type=FIFO",
    });
    const tc = await broker.broker.api.getTopicConfig("AdminFifo");
    expect(tc).toMatchObject({ readQueueNums: 2, writeQueueNums: 2, perm: 6 });
    expect(tc?.attributes["message.type"]).toBe("FIFO");

    await waitFor("AdminFifo route", () => routeExists("AdminFifo"));
    const route = await admin(["topicRoute", "-t", "AdminFifo"]);
    expect(route.code).toBe(0);
    const data = JSON.parse(route.out.join("\n"));
    expect(data.queueDatas).toEqual([
      { brokerName: BROKER_NAME, readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
    ]);
    expect(data.brokerDatas[0]).toMatchObject({ cluster: CLUSTER, brokerAddrs: { "0": broker.addr } });
    expect(JSON.parse((await admin(["topicRoute", "-t", "AdminFifo", "--json"])).out[0]!)).toEqual(data);
  });

  test("updateTopic -b updates one broker: -a attributes, queue counts, perm, -o writes the order conf", async () => {
    // -b merges its broker into the existing order conf (mqadmin's createOrUpdateOrderConf, isCluster=false).
    ns.nameServer.kvConfig.put("ORDER_TOPIC_CONFIG", "AdminDelay", "other-broker:4");
    const run = await admin([
      "updateTopic",
      "-b",
      broker.addr,
      "-t",
      "AdminDelay",
      "-a",
      "+message.type=DELAY",
      "-r",
      "3",
      "-w",
      "3",
      "-p",
      "4",
      "-o",
      "true",
      "--json",
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out[0]!)).toMatchObject({
      brokers: [broker.addr],
      orderConf: `other-broker:4;${BROKER_NAME}:3`,
      topicConfig: { readQueueNums: 3, writeQueueNums: 3, perm: 4, order: true },
    });
    const tc = await broker.broker.api.getTopicConfig("AdminDelay");
    expect(tc).toMatchObject({ readQueueNums: 3, writeQueueNums: 3, perm: 4, order: true });
    expect(tc?.attributes["message.type"]).toBe("DELAY");
    expect(ns.nameServer.kvConfig.get("ORDER_TOPIC_CONFIG", "AdminDelay")).toBe(
      `other-broker:4;${BROKER_NAME}:3`,
    );
  });

  test("updateTopic refusals: unknown cluster, bad topic name, unreachable broker", async () => {
    expectFailure(
      await admin(["updateTopic", "-c", "NoCluster", "-t", "X"]),
      1,
      /cluster NoCluster not found/,
    );
    expectFailure(
      await admin(["updateTopic", "-b", broker.addr, "-t", "bad topic!"]),
      1,
      new RegExp(`broker ${broker.addr}: .*bad topic!`),
    );
    expectFailure(
      await admin(["updateTopic", "-b", deadAddr, "-t", "X"]),
      1,
      new RegExp(`cannot reach broker ${deadAddr}`),
    );
    expect(await broker.broker.api.getTopicConfig("bad topic!")).toBeUndefined();
  });

  test("topicList lists every topic, or a cluster's; --json", async () => {
    await waitFor("AdminDelay route", () => routeExists("AdminDelay"));
    const run = await admin(["topicList"]);
    expect(run.code).toBe(0);
    expect(run.out).toContain("AdminFifo");
    expect(run.out).toContain("AdminDelay");
    expect([...run.out].sort()).toEqual(run.out);
    const json = JSON.parse((await admin(["topicList", "--json", "-c", CLUSTER])).out[0]!);
    expect(json.topicList).toContain("AdminFifo");
  });

  test("topicRoute of an unknown topic: exit 1", async () => {
    expectFailure(await admin(["topicRoute", "-t", "NoSuchTopic"]), 1, /topic NoSuchTopic has no route/);
  });

  test("deleteTopic removes it from the broker and the nameserver", async () => {
    await admin(["updateTopic", "-c", CLUSTER, "-t", "AdminDoomed", "-o", "true"]);
    await waitFor("AdminDoomed route", () => routeExists("AdminDoomed"));
    expect(ns.nameServer.kvConfig.get("ORDER_TOPIC_CONFIG", "AdminDoomed")).toBe(`${BROKER_NAME}:8`);
    const run = await admin(["deleteTopic", "-t", "AdminDoomed", "-c", CLUSTER]);
    expect(run).toEqual({
      code: 0,
      out: [
        `delete topic [AdminDoomed] from cluster [${CLUSTER}] success.`,
        "delete topic [AdminDoomed] from NameServer success.",
      ],
      err: [],
    });
    expect(await broker.broker.api.getTopicConfig("AdminDoomed")).toBeUndefined();
    expect(await routeExists("AdminDoomed")).toBe(false);
    expect(ns.nameServer.kvConfig.get("ORDER_TOPIC_CONFIG", "AdminDoomed")).toBeUndefined();
    expect((await admin(["topicList"])).out).not.toContain("AdminDoomed");
    // The broker's next registration must not bring it back.
    await broker.broker.registerNow();
    expect(await routeExists("AdminDoomed")).toBe(false);
    expectFailure(
      await admin(["deleteTopic", "-t", "AdminDoomed", "-c", "NoCluster"]),
      1,
      /cluster NoCluster/,
    );
  });
});

describe("topicStatus and consumerProgress", () => {
  const TOPIC = "AdminStats";
  const GROUP = "AdminGroup";
  let stored: number[];

  beforeAll(async () => {
    expect((await admin(["updateTopic", "-c", CLUSTER, "-t", TOPIC, "-r", "2", "-w", "2"])).code).toBe(0);
    await waitFor(`${TOPIC} route`, () => routeExists(TOPIC));
    stored = [];
    for (const queueId of [0, 0, 0, 1]) {
      const r = await broker.broker.api.send({ topic: TOPIC, queueId, body: utf8.encode(`m${queueId}`) });
      stored.push(r.queueOffset);
    }
    await broker.broker.api.updateConsumerOffset(GROUP, TOPIC, 0, 1);
  });

  test("topicStatus: min/max offset and last update time per queue", async () => {
    const run = await admin(["topicStatus", "-t", TOPIC]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated$/);
    const rows = run.out.slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      [BROKER_NAME, "0", "0", "3"],
      [BROKER_NAME, "1", "0", "1"],
    ]);
    for (const r of rows) expect(Date.parse(r[4]!)).toBeGreaterThan(Date.now() - 600_000);

    const json = JSON.parse((await admin(["topicStatus", "-t", TOPIC, "--json"])).out[0]!);
    expect(json.queues).toEqual([
      expect.objectContaining({
        brokerName: BROKER_NAME,
        brokerAddr: broker.addr,
        queueId: 0,
        minOffset: 0,
        maxOffset: 3,
      }),
      expect.objectContaining({ queueId: 1, minOffset: 0, maxOffset: 1 }),
    ]);
    expect(json.queues[0].lastUpdateTimestamp).toBeGreaterThan(0);
    expect((await admin(["topicStatus", "-t", TOPIC, "-c", CLUSTER])).code).toBe(0);
  });

  test("topicStatus errors: unknown topic, cluster without the topic", async () => {
    expectFailure(await admin(["topicStatus", "-t", "NoSuchTopic"]), 1, /topic NoSuchTopic has no route/);
    expectFailure(await admin(["topicStatus", "-t", TOPIC, "-c", "Other"]), 1, /no broker in cluster Other/);
  });

  test("consumerProgress: broker offset, consumer offset, diff per queue and the total", async () => {
    const run = await admin(["consumerProgress", "-g", GROUP]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(
      /^#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Diff\s+#LastTime$/,
    );
    const rows = run.out.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 6));
    expect(rows[0]).toEqual([TOPIC, BROKER_NAME, "0", "3", "1", "2"]);
    // Queue 1 never committed: the broker says -1, all of it is still to consume.
    expect(rows[1]).toEqual([TOPIC, BROKER_NAME, "1", "1", "-1", "1"]);
    expect(run.out).toContain("Consume Diff Total: 3");

    const json = JSON.parse((await admin(["consumerProgress", "-g", GROUP, "-t", TOPIC, "--json"])).out[0]!);
    expect(json).toMatchObject({ consumerGroup: GROUP, diffTotal: 3 });
    expect(json.queues.map((q: { queueId: number; diff: number }) => [q.queueId, q.diff])).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });

  test("consumerProgress errors: group without offsets, unknown topic", async () => {
    expectFailure(
      await admin(["consumerProgress", "-g", "NobodyGroup"]),
      1,
      /no consume stats for group NobodyGroup/,
    );
    expectFailure(
      await admin(["consumerProgress", "-g", GROUP, "-t", "NoSuchTopic"]),
      1,
      /NoSuchTopic has no route/,
    );
  });
});

describe("queryMsgById", () => {
  const TOPIC = "AdminQuery";
  let text: { msgId: string; uniqKey: string; queueOffset: number; commitLogOffset: number };
  let binaryId: string;
  let compressedId: string;

  beforeAll(async () => {
    expect((await admin(["updateTopic", "-c", CLUSTER, "-t", TOPIC, "-r", "1", "-w", "1"])).code).toBe(0);
    await waitFor(`${TOPIC} route`, () => routeExists(TOPIC));
    const api = broker.broker.api;
    const uniqKey = "7F0000010001AB12CD34EF5600000001";
    const r = await api.send({
      topic: TOPIC,
      body: utf8.encode("hello admin"),
      properties: { TAGS: "TagA", KEYS: "k1 k2", UNIQ_KEY: uniqKey, custom: "v" },
      bornHost: "10.1.2.3:4567",
    });
    text = { msgId: r.msgId, uniqKey, queueOffset: r.queueOffset, commitLogOffset: r.commitLogOffset };
    binaryId = (await api.send({ topic: TOPIC, body: new Uint8Array([0, 159, 146, 150, 255]) })).msgId;
    const sysFlag = MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_ZLIB_TYPE;
    compressedId = (await api.send({ topic: TOPIC, body: deflateSync("zipped body"), sysFlag })).msgId;
  });

  test("by offset message id: topic, tags, keys, properties, body, times and hosts", async () => {
    const run = await admin(["queryMsgById", "-i", text.msgId]);
    expect(run.code).toBe(0);
    const fields = Object.fromEntries(
      run.out.map((l) => {
        const at = l.indexOf(":");
        return [l.slice(0, at), l.slice(at + 1).trim()];
      }),
    );
    expect(fields).toMatchObject({
      OffsetID: text.msgId,
      Topic: TOPIC,
      Tags: "[TagA]",
      Keys: "[k1 k2]",
      UNIQ_KEY: text.uniqKey,
      "Queue Offset": String(text.queueOffset),
      "CommitLog Offset": String(text.commitLogOffset),
      "Born Host": "10.1.2.3:4567",
      "Store Host": broker.addr,
      Body: "hello admin",
    });
    expect(JSON.parse(fields.Properties!)).toMatchObject({ TAGS: "TagA", KEYS: "k1 k2", custom: "v" });
    expect(Date.parse(fields["Store Timestamp"]!)).toBeGreaterThan(Date.now() - 600_000);
  });

  test("--json; binary bodies as base64; zlib bodies inflated", async () => {
    const json = JSON.parse((await admin(["queryMsgById", "-i", text.msgId, "--json"])).out[0]!);
    expect(json).toMatchObject({
      msgId: text.msgId,
      topic: TOPIC,
      tags: "TagA",
      bodyEncoding: "utf8",
      body: "hello admin",
    });
    const bin = JSON.parse((await admin(["queryMsgById", "-i", binaryId, "--json"])).out[0]!);
    expect(bin).toMatchObject({
      bodyEncoding: "base64",
      body: Buffer.from([0, 159, 146, 150, 255]).toString("base64"),
    });
    const binText = await admin(["queryMsgById", "-i", binaryId]);
    expect(binText.out).toContain(`${"Body (base64):".padEnd(20)} AJ+Slv8=`);
    const zipped = JSON.parse((await admin(["queryMsgById", "-i", compressedId, "--json"])).out[0]!);
    expect(zipped).toMatchObject({ compression: "zlib", bodyEncoding: "utf8", body: "zipped body" });
  });

  test("by UNIQ_KEY with -t", async () => {
    const json = JSON.parse(
      (await admin(["queryMsgById", "-i", text.uniqKey, "-t", TOPIC, "--json"])).out[0]!,
    );
    expect(json).toMatchObject({ msgId: text.msgId, body: "hello admin", uniqKey: text.uniqKey });
    const notHex = "NOT-AN-OFFSET-ID";
    expectFailure(await admin(["queryMsgById", "-i", notHex]), 2, /not an offset message id; give -t/);
    expectFailure(await admin(["queryMsgById", "-i", notHex, "-t", TOPIC]), 1, /no message with UNIQ_KEY/);
    expectFailure(await admin(["queryMsgById", "-i", notHex, "-t", "NoSuchTopic"]), 1, /no route/);
  });

  test("unknown offset, unreachable store host", async () => {
    const missing = createOffsetMessageId(broker.addr, text.commitLogOffset + 10_000_000);
    expectFailure(
      await admin(["queryMsgById", "-i", missing]),
      1,
      new RegExp(`broker ${broker.addr}: .*offset`),
    );
    const elsewhere = createOffsetMessageId(deadAddr, 0);
    expectFailure(
      await admin(["queryMsgById", "-i", elsewhere]),
      1,
      new RegExp(`cannot reach broker ${deadAddr}`),
    );
    // With -t the id is retried as a UNIQ_KEY, and both failures are reported.
    expectFailure(await admin(["queryMsgById", "-i", missing, "-t", TOPIC]), 1, /nor as a UNIQ_KEY/);
  });
});

describe("two nameservers", () => {
  test("deleteTopic removes the topic from every nameserver; a dead one fails the command", async () => {
    const ns1 = await startNameServer();
    const ns2 = await startNameServer();
    const both = `${ns1.addr};${ns2.addr}`;
    const b = await startBroker({ namesrvAddr: both, config: { brokerClusterName: "PairCluster" } });
    try {
      const on = async (addr: string, topic: string) =>
        (await admin(["topicRoute", "-t", topic], { namesrv: addr })).code === 0;
      await waitFor("the broker on both nameservers", async () => {
        const runs = await Promise.all(
          [ns1.addr, ns2.addr].map((a) => admin(["clusterList"], { namesrv: a })),
        );
        return runs.every((r) => r.code === 0 && r.out.length === 2);
      });
      expect(
        (await admin(["updateTopic", "-c", "PairCluster", "-t", "PairTopic"], { namesrv: both })).code,
      ).toBe(0);
      await waitFor(
        "PairTopic on both",
        async () => (await on(ns1.addr, "PairTopic")) && on(ns2.addr, "PairTopic"),
      );

      expect(
        (await admin(["deleteTopic", "-t", "PairTopic", "-c", "PairCluster"], { namesrv: both })).code,
      ).toBe(0);
      expect(await on(ns1.addr, "PairTopic")).toBe(false);
      expect(await on(ns2.addr, "PairTopic")).toBe(false);

      expect(
        (await admin(["updateTopic", "-c", "PairCluster", "-t", "PairTopic2"], { namesrv: both })).code,
      ).toBe(0);
      await waitFor("PairTopic2 on ns1", () => on(ns1.addr, "PairTopic2"));
      const partial = await admin(
        ["deleteTopic", "-t", "PairTopic2", "-c", "PairCluster", "-n", `${both};${deadAddr}`],
        {
          namesrv: null,
        },
      );
      expectFailure(partial, 1, new RegExp(`cannot reach nameserver ${deadAddr}`));
      // The reachable ones still dropped it, and the broker did too.
      expect(await on(ns1.addr, "PairTopic2")).toBe(false);
      expect(await b.broker.api.getTopicConfig("PairTopic2")).toBeUndefined();
    } finally {
      await b.close();
      removeDir(b.dir);
      await ns1.close();
      await ns2.close();
    }
  });
});

describe("bin/admin.ts", () => {
  async function spawnAdmin(args: string[]) {
    const proc = Bun.spawn(
      [process.execPath, "run", join(import.meta.dir, "..", "bin", "admin.ts"), ...args],
      {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, NAMESRV_ADDR: ns.addr },
      },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  }

  test("exit statuses and output of the real process", async () => {
    const ok = await spawnAdmin(["topicList"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.split("\n")).toContain("AdminFifo");
    expect(ok.stderr).toBe("");

    const unknown = await spawnAdmin(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: unknown command "frobnicate"/),
    ]);

    const down = await spawnAdmin(["clusterList", "-n", deadAddr]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: cannot reach nameserver/),
    ]);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });
});
