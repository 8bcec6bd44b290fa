import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeBatchBody } from "../broker/handlers/batch-body.ts";
import { decodeMessageRecord, type MessageExt } from "../proto/message/index.ts";
import {
  createRemotingClient,
  createRequest,
  createResponse,
  decodeJsonBody,
  quoteBareKeys,
  type RemotingCommand,
  readHeader,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type RunningBroker, removeDir, startBroker, waitFor } from "./harness.ts";

/* The broker's remoting handlers as a Java tool or the Cluster-mode proxy sees them: codes, headers, bodies. */

let broker: RunningBroker;
const client = createRemotingClient();
const enc = new TextEncoder();
const dec = new TextDecoder();

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  client.close();
  await broker.close();
  removeDir(broker.dir);
});

const call = (code: number, extFields: Record<string, string | number | boolean> = {}, body?: Uint8Array) =>
  client.invoke(broker.addr, createRequest(code, extFields, body));

async function ok(p: Promise<RemotingCommand>): Promise<RemotingCommand> {
  const r = await p;
  if (r.code !== ResponseCode.SUCCESS) throw new Error(`response ${r.code}: ${r.remark}`);
  return r;
}

function records(body: Uint8Array | undefined): MessageExt[] {
  const out: MessageExt[] = [];
  for (let at = 0; body && at < body.length; ) {
    const m = decodeMessageRecord(body, at);
    out.push(m);
    at += m.storeSize;
  }
  return out;
}

const heartbeat = (clientID: string, group: string) =>
  enc.encode(
    JSON.stringify({
      clientID,
      producerDataSet: [{ groupName: "PG" }],
      consumerDataSet: [
        {
          groupName: group,
          consumeType: "CONSUME_PASSIVELY",
          messageModel: "CLUSTERING",
          consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
          subscriptionDataSet: [{ topic: "RemT", subString: "*", tagsSet: [], codeSet: [], subVersion: 1 }],
          unitMode: false,
        },
      ],
    }),
  );

describe("remoting handlers", () => {
  test("topic admin: create with a message type, list, stats in fastjson form, delete", async () => {
    await ok(
      call(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic: "RemT",
        readQueueNums: 2,
        writeQueueNums: 2,
        perm: 6,
        topicFilterType: "SINGLE_TAG",
        attributes: "+message.type=FIFO",
      }),
    );
    const all = decodeJsonBody((await ok(call(RequestCode.GET_ALL_TOPIC_CONFIG))).body, "topics") as {
      topicConfigTable: Record<string, { readQueueNums: number; attributes: Record<string, string> }>;
    };
    expect(all.topicConfigTable.RemT).toMatchObject({
      readQueueNums: 2,
      attributes: { "message.type": "FIFO" },
    });
    expect(all.topicConfigTable.TBW102).toBeDefined();

    const bad = await call(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: "X",
      attributes: "+message.type=NOPE",
    });
    expect(bad.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await call(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: "rmq_sys_X" })).code).toBe(
      ResponseCode.INVALID_PARAMETER,
    );

    const stats = dec.decode((await ok(call(RequestCode.GET_TOPIC_STATS_INFO, { topic: "RemT" }))).body);
    expect(stats).toStartWith('{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"RemT"}:');
    expect((await call(RequestCode.GET_TOPIC_STATS_INFO, { topic: "Nope" })).code).toBe(
      ResponseCode.TOPIC_NOT_EXIST,
    );

    await ok(
      call(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: "Doomed", readQueueNums: 1, writeQueueNums: 1 }),
    );
    await ok(call(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: "Doomed" }));
    expect(await broker.broker.api.getTopicConfig("Doomed")).toBeUndefined();
  });

  test("send, batch send, query by key and view by id", async () => {
    const single = await ok(
      call(
        RequestCode.SEND_MESSAGE,
        {
          producerGroup: "PG",
          topic: "RemT",
          defaultTopic: "TBW102",
          defaultTopicQueueNums: 4,
          queueId: 1,
          sysFlag: 0,
          bornTimestamp: Date.now(),
          flag: 7,
          properties: "TAGS\u0001t1\u0002KEYS\u0001order-1 order-2\u0002",
        },
        enc.encode("one"),
      ),
    );
    const sent = readHeader(single, { msgId: "string", queueId: "int", queueOffset: "long" });
    expect(sent).toMatchObject({ queueId: 1, queueOffset: 0 });
    expect(sent.msgId).toMatch(/^[0-9A-F]{32}$/);

    const batchBody = encodeBatchBody([
      { body: enc.encode("b1"), properties: "KEYS\u0001batch-1\u0002" },
      { body: enc.encode("b2"), properties: "KEYS\u0001batch-2\u0002" },
    ]);
    const batch = await ok(
      call(
        RequestCode.SEND_BATCH_MESSAGE,
        { a: "PG", b: "RemT", c: "TBW102", d: 4, e: 0, f: 0, g: 1, h: 0, m: "true" },
        batchBody,
      ),
    );
    expect(readHeader(batch, { msgId: "string" }).msgId.split(",").length).toBe(2);

    await waitFor(
      "the index",
      async () =>
        (
          await call(RequestCode.QUERY_MESSAGE, {
            topic: "RemT",
            key: "order-2",
            maxNum: 32,
            beginTimestamp: 0,
            endTimestamp: Date.now() + 60_000,
          })
        ).code === ResponseCode.SUCCESS,
    );
    const found = await ok(
      call(RequestCode.QUERY_MESSAGE, {
        topic: "RemT",
        key: "batch-2",
        maxNum: 32,
        beginTimestamp: 0,
        endTimestamp: Date.now() + 60_000,
      }),
    );
    expect(records(found.body).map((m) => dec.decode(m.body))).toEqual(["b2"]);
    const missing = await call(RequestCode.QUERY_MESSAGE, {
      topic: "RemT",
      key: "none",
      maxNum: 32,
      beginTimestamp: 0,
      endTimestamp: 1,
    });
    expect(missing.code).toBe(ResponseCode.QUERY_NOT_FOUND);

    const one = records(
      (
        await ok(
          call(RequestCode.QUERY_MESSAGE, {
            topic: "RemT",
            key: "order-1",
            maxNum: 32,
            beginTimestamp: 0,
            endTimestamp: Date.now() + 60_000,
          }),
        )
      ).body,
    )[0]!;
    expect(one.flag).toBe(7);
    const viewed = records(
      (await ok(call(RequestCode.VIEW_MESSAGE_BY_ID, { offset: one.commitLogOffset }))).body,
    );
    expect(dec.decode(viewed[0]!.body)).toBe("one");
    expect(viewed[0]!.msgId).toBe(sent.msgId);
    expect((await call(RequestCode.VIEW_MESSAGE_BY_ID, { offset: 3 })).code).toBe(
      ResponseCode.QUERY_NOT_FOUND,
    );

    const max = readHeader(await ok(call(RequestCode.GET_MAX_OFFSET, { topic: "RemT", queueId: 0 })), {
      offset: "long",
    });
    expect(max.offset).toBe(2);
    const earliest = readHeader(
      await ok(call(RequestCode.GET_EARLIEST_MSG_STORETIME, { topic: "RemT", queueId: 1 })),
      {
        timestamp: "long",
      },
    );
    expect(earliest.timestamp).toBe(one.storeTimestamp);
    const byTime = readHeader(
      await ok(
        call(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, {
          topic: "RemT",
          queueId: 1,
          timestamp: one.storeTimestamp + 1,
        }),
      ),
      { offset: "long" },
    );
    expect(byTime.offset).toBe(1);
  });

  test("heartbeats: members are listed and the others are told when a member joins or leaves", async () => {
    const notified: string[] = [];
    const first = createRemotingClient().handle(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (cmd) => {
      notified.push(cmd.extFields.consumerGroup!);
      return createResponse(cmd, ResponseCode.SUCCESS);
    });
    const second = createRemotingClient();
    try {
      expect(
        (await first.invoke(broker.addr, createRequest(RequestCode.HEART_BEAT, {}, heartbeat("c-1", "HG"))))
          .code,
      ).toBe(0);
      expect(await broker.broker.api.getTopicConfig("%RETRY%HG")).toBeDefined();
      expect(
        (await second.invoke(broker.addr, createRequest(RequestCode.HEART_BEAT, {}, heartbeat("c-2", "HG"))))
          .code,
      ).toBe(0);
      await waitFor("a NOTIFY_CONSUMER_IDS_CHANGED to the first member", () => notified.length === 1);
      expect(notified).toEqual(["HG"]);
      const list = await ok(call(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: "HG" }));
      expect(
        (decodeJsonBody(list.body, "list") as { consumerIdList: string[] }).consumerIdList.sort(),
      ).toEqual(["c-1", "c-2"]);
      const conns = decodeJsonBody(
        (await ok(call(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: "HG" }))).body,
        "c",
      ) as {
        connectionSet: unknown[];
      };
      expect(conns.connectionSet.length).toBe(2);

      second.close();
      await waitFor(
        "the second member to be dropped",
        () => broker.broker.registry.consumerIds("HG").length === 1,
      );
      await waitFor("a second notification", () => notified.length === 2);
      expect(
        (await call(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: "NoSuchGroup" })).code,
      ).toBe(ResponseCode.SYSTEM_ERROR);
    } finally {
      first.close();
      second.close();
    }
  });

  test("queue locks are exclusive per group until released", async () => {
    const body = (clientId: string) =>
      enc.encode(
        JSON.stringify({
          consumerGroup: "LG",
          clientId,
          mqSet: [{ topic: "RemT", brokerName: "broker-a", queueId: 0 }],
        }),
      );
    const locked = (r: RemotingCommand) =>
      (decodeJsonBody(r.body, "lock") as { lockOKMQSet: unknown[] }).lockOKMQSet.length;
    expect(locked(await ok(call(RequestCode.LOCK_BATCH_MQ, {}, body("a"))))).toBe(1);
    expect(locked(await ok(call(RequestCode.LOCK_BATCH_MQ, {}, body("b"))))).toBe(0);
    await ok(call(RequestCode.UNLOCK_BATCH_MQ, {}, body("a")));
    expect(locked(await ok(call(RequestCode.LOCK_BATCH_MQ, {}, body("b"))))).toBe(1);
  });

  test("pop, change invisible time and ack over remoting, as the Cluster-mode proxy uses them", async () => {
    await ok(
      call(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: "RemPop", readQueueNums: 1, writeQueueNums: 1 }),
    );
    await broker.broker.api.send({ topic: "RemPop", body: enc.encode("p1"), properties: { TAGS: "x" } });
    const popped = await ok(
      call(RequestCode.POP_MESSAGE, {
        consumerGroup: "PopG",
        topic: "RemPop",
        queueId: -1,
        maxMsgNums: 4,
        invisibleTime: 60_000,
        pollTime: 0,
        bornTime: Date.now(),
        initMode: 0,
        expType: "TAG",
        exp: "*",
      }),
    );
    const h = readHeader(popped, {
      popTime: "long",
      invisibleTime: "long",
      reviveQid: "int",
      startOffsetInfo: "string",
      msgOffsetInfo: "string",
    });
    expect(h.startOffsetInfo).toBe("0 0 0");
    expect(h.msgOffsetInfo).toBe("0 0 0");
    const [m] = records(popped.body);
    expect(m!.topic).toBe("RemPop");
    const handle = m!.properties.POP_CK!;
    expect(handle.split(" ")).toEqual([
      "0",
      String(h.popTime),
      "60000",
      String(h.reviveQid),
      "0",
      "broker-a",
      "0",
      "0",
      String(m!.commitLogOffset),
    ]);

    const empty = await call(RequestCode.POP_MESSAGE, {
      consumerGroup: "PopG",
      topic: "RemPop",
      queueId: -1,
      maxMsgNums: 4,
      invisibleTime: 60_000,
      pollTime: 0,
      initMode: 0,
    });
    expect(empty.code).toBe(ResponseCode.PULL_NOT_FOUND);

    const changed = await ok(
      call(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, {
        consumerGroup: "PopG",
        topic: "RemPop",
        queueId: 0,
        offset: 0,
        extraInfo: handle,
        invisibleTime: 120_000,
      }),
    );
    const ch = readHeader(changed, { popTime: "long", invisibleTime: "long", reviveQid: "int" });
    expect(ch.invisibleTime).toBe(120_000);
    // the handle a Java client rebuilds from that header acks the message
    const rebuilt = ["0", ch.popTime, ch.invisibleTime, ch.reviveQid, "0", "broker-a", "0", "0"].join(" ");
    await ok(
      call(RequestCode.ACK_MESSAGE, {
        consumerGroup: "PopG",
        topic: "RemPop",
        queueId: 0,
        offset: 0,
        extraInfo: rebuilt,
      }),
    );

    const stats = dec.decode(
      (await ok(call(RequestCode.GET_CONSUME_STATS, { consumerGroup: "PopG", topic: "RemPop" }))).body,
    );
    const parsed = stats.match(/"brokerOffset":(\d+),"consumerOffset":(\d+)/);
    expect(parsed?.slice(1)).toEqual(["1", "1"]);
  });

  test("broker runtime info and config", async () => {
    const info = decodeJsonBody((await ok(call(RequestCode.GET_BROKER_RUNTIME_INFO))).body, "kv") as {
      table: Record<string, string>;
    };
    expect(info.table.brokerVersionDesc).toBe("V5_3_3");
    const config = await ok(call(RequestCode.GET_BROKER_CONFIG));
    expect(dec.decode(config.body)).toContain("brokerName=broker-a\n");
    expect(
      JSON.parse(quoteBareKeys(readHeader(config, { version: "string" }).version)).counter,
    ).toBeGreaterThan(0);
  });
});
