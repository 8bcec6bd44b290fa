import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeBatchBody } from "../broker/handlers/batch-body.ts";
import {
  createRemotingClient,
  createRequest,
  decodeFrame,
  encodeFrame,
  readHeader,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

/*
 * Hostile or broken input over a real socket: each gets an error response or a closed connection, the broker keeps
 * serving other clients, and what was stored before is still there (also after a restart).
 */

const MAX_BODY = 4096;
let broker: RunningBroker;
const client = createRemotingClient();
const enc = new TextEncoder();

beforeAll(async () => {
  broker = await startBroker({ config: { maxMessageSize: MAX_BODY } });
  await broker.broker.api.createTopic({ topic: "Safe", readQueueNums: 1, writeQueueNums: 1 });
  for (let i = 0; i < 5; i++)
    await broker.broker.api.send({ topic: "Safe", queueId: 0, body: enc.encode(`kept-${i}`) });
});

afterAll(async () => {
  client.close();
  await broker.close();
  removeDir(broker.dir);
});

/** Writes raw bytes on a fresh connection; resolves with what came back and whether the broker hung up. */
async function raw(bytes: Uint8Array): Promise<{ closed: boolean; reply: Uint8Array }> {
  const [host, port] = broker.addr.split(":") as [string, string];
  const chunks: Uint8Array[] = [];
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const socket = await Bun.connect({
    hostname: host,
    port: Number(port),
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => void chunks.push(chunk),
      close: () => resolveClosed(),
      error: () => resolveClosed(),
    },
  });
  socket.write(bytes);
  // a reply frame or a hang-up, whichever comes first (a broker that does neither fails the test by timeout)
  const replied = (async () => {
    while (chunks.reduce((n, c) => n + c.length, 0) < 4) await Bun.sleep(5);
  })();
  const closed = await Promise.race([closedP.then(() => true), replied.then(() => false)]);
  if (!closed) socket.end();
  const reply = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    reply.set(c, at);
    at += c.length;
  }
  return { closed, reply };
}

function frame(totalLength: number, rest: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + rest.length);
  new DataView(out.buffer).setInt32(0, totalLength);
  out.set(rest, 4);
  return out;
}

async function stillServing() {
  const r = await client.invoke(
    broker.addr,
    createRequest(RequestCode.GET_MAX_OFFSET, { topic: "Safe", queueId: 0 }),
  );
  expect(r.code).toBe(ResponseCode.SUCCESS);
  expect(readHeader(r, { offset: "long" }).offset).toBe(5);
}

async function expectKept() {
  const r = await broker.broker.api.pull({
    consumerGroup: "checker",
    topic: "Safe",
    queueId: 0,
    queueOffset: 0,
    maxMsgNums: 32,
  });
  expect(r.messages.map((m) => new TextDecoder().decode(m.body))).toEqual(
    [0, 1, 2, 3, 4].map((i) => `kept-${i}`),
  );
}

describe("bad input to the broker", () => {
  test("random bytes close the connection", async () => {
    const junk = new Uint8Array(64);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 97 + 13) & 0xff;
    junk[0] = 0x00; // a plausible small length so the decoder reads on and finds garbage
    junk[1] = 0x00;
    junk[2] = 0x00;
    junk[3] = 0x3c;
    expect((await raw(junk)).closed).toBe(true);
    await stillServing();
  });

  test("a 2 GiB frame length is refused before anything is buffered", async () => {
    expect((await raw(frame(0x7fffffff, new Uint8Array(16)))).closed).toBe(true);
    expect((await raw(frame(-5))).closed).toBe(true);
    await stillServing();
  });

  test("a header that is not JSON closes the connection", async () => {
    const header = enc.encode("{this is not json");
    const rest = new Uint8Array(4 + header.length);
    new DataView(rest.buffer).setInt32(0, header.length); // serialize type 0 = JSON
    rest.set(header, 4);
    expect((await raw(frame(rest.length, rest))).closed).toBe(true);
    await stillServing();
  });

  test("an unknown request code gets REQUEST_CODE_NOT_SUPPORTED on a connection that stays usable", async () => {
    const { reply, closed } = await raw(encodeFrame({ ...createRequest(4242), opaque: 7 }, "JSON"));
    expect(closed).toBe(false);
    const response = decodeFrame(reply.subarray(4));
    expect(response.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(response.opaque).toBe(7);
    await stillServing();
  });

  test("oversized bodies, illegal topics, missing or malformed fields get clear error codes", async () => {
    const send = (extFields: Record<string, string | number>, body: Uint8Array) =>
      client.invoke(broker.addr, createRequest(RequestCode.SEND_MESSAGE_V2, extFields, body));
    const header = { a: "PG", b: "Safe", c: "TBW102", d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: "", j: 0 };

    const big = await send(header, new Uint8Array(MAX_BODY + 1));
    expect(big.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(big.remark).toContain("exceeds");

    for (const topic of ["bad topic!", "a".repeat(128), "", "Safe/../../etc"]) {
      const r = await send({ ...header, b: topic }, enc.encode("x"));
      expect(r.code).toBe(ResponseCode.INVALID_PARAMETER);
    }
    expect((await send({ ...header, b: "SCHEDULE_TOPIC_XXXX" }, enc.encode("x"))).code).toBe(
      ResponseCode.NO_PERMISSION,
    );
    expect((await send({ ...header, e: 99 }, enc.encode("x"))).code).toBe(ResponseCode.INVALID_PARAMETER);
    const missing = await send({ a: "PG" }, enc.encode("x"));
    expect(missing.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(missing.remark).toContain('"topic"');
    expect((await send({ ...header, e: "zero" }, enc.encode("x"))).code).toBe(ResponseCode.INVALID_PARAMETER);

    const heartbeat = await client.invoke(
      broker.addr,
      createRequest(RequestCode.HEART_BEAT, {}, enc.encode("{nope")),
    );
    expect(heartbeat.code).toBe(ResponseCode.INVALID_PARAMETER);
    const noClient = await client.invoke(
      broker.addr,
      createRequest(RequestCode.HEART_BEAT, {}, enc.encode("{}")),
    );
    expect(noClient.code).toBe(ResponseCode.INVALID_PARAMETER);

    const goodBatch = encodeBatchBody([{ body: enc.encode("b"), properties: "" }]);
    const truncated = goodBatch.subarray(0, goodBatch.length - 3);
    const batch = await client.invoke(
      broker.addr,
      createRequest(RequestCode.SEND_BATCH_MESSAGE, { ...header, m: "true" }, truncated),
    );
    expect(batch.code).toBe(ResponseCode.MESSAGE_ILLEGAL);

    const pull = await client.invoke(
      broker.addr,
      createRequest(RequestCode.PULL_MESSAGE, {
        consumerGroup: "G",
        topic: "Safe",
        queueId: 0,
        queueOffset: 0,
        maxMsgNums: 4,
        sysFlag: 4,
        subscription: "a AND (",
        expressionType: "SQL92",
      }),
    );
    expect(pull.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);

    const ack = await client.invoke(
      broker.addr,
      createRequest(RequestCode.ACK_MESSAGE, {
        consumerGroup: "G",
        topic: "Safe",
        extraInfo: "garbage",
        offset: 0,
      }),
    );
    expect(ack.code).toBe(ResponseCode.INVALID_PARAMETER);
    await stillServing();
  });

  test("nothing stored before the bad input is lost, also after a restart", async () => {
    await expectKept();
    await broker.close();
    broker = await startBroker({ dir: broker.dir, config: { maxMessageSize: MAX_BODY } });
    await expectKept();
    await stillServing();
  });
});
