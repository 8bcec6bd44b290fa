import { afterEach, describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import { bodyOf, crashCopy, removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import type { DispatchRequest, PutResult } from "./types.ts";

const SEGMENT = 4096;
const stores: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function newStore(
  dir = tempDir("ha"),
  extra: Partial<MessageStoreOptions> = {},
): Promise<MessageStore> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = await createMessageStore(smallOptions(dir, { commitLogSegmentSize: SEGMENT, ...extra }));
  stores.push(store);
  return store;
}

async function fillMaster(master: MessageStore, count: number): Promise<PutResult[]> {
  const puts: PutResult[] = [];
  for (let i = 0; i < count; i++) {
    puts.push(
      await master.putMessage({
        topic: "TopicH",
        queueId: i % 2,
        body: bodyOf(i),
        properties: { KEYS: `h${i}` },
      }),
    );
  }
  return puts;
}

/** Copies the master's CommitLog into the slave chunk by chunk, as an HA connection would. */
async function replicate(
  master: MessageStore,
  slave: MessageStore,
  from: number,
  chunk = 1500,
): Promise<number> {
  let offset = from;
  while (offset < master.maxPhysicalOffset) {
    const bytes = master.getCommitLogData(offset, chunk);
    if (bytes.length === 0) break;
    offset = (await slave.appendRaw(offset, bytes)).nextPhysicalOffset;
  }
  return offset;
}

function queueRaw(store: MessageStore, queueId: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = store.getMinOffsetInQueue("TopicH", queueId);
  for (;;) {
    const r = store.getMessages({ topic: "TopicH", queueId, queueOffset: offset, maxCount: 32 });
    if (r.status !== "FOUND") return out;
    out.push(...r.messages.map((m) => m.raw.slice()));
    offset = r.nextBeginOffset;
  }
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: number): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(code);
    return;
  }
  throw new Error(`expected MqError ${code}`);
}

describe("appendRaw (replication seam)", () => {
  test("a replica fed the master's CommitLog bytes holds identical records, queues and index, and dispatches them", async () => {
    const master = await newStore();
    const slave = await newStore(tempDir("ha"), { flushDiskType: "SYNC_FLUSH" });
    const puts = await fillMaster(master, 50);
    const dispatched: DispatchRequest[] = [];
    slave.onDispatch((r) => dispatched.push(r));
    const end = await replicate(master, slave, 0);
    expect(end).toBe(master.maxPhysicalOffset);
    expect(slave.maxPhysicalOffset).toBe(master.maxPhysicalOffset);
    expect(slave.flushedPhysicalOffset).toBeGreaterThanOrEqual(end);
    for (const q of [0, 1]) {
      expect(slave.getMaxOffsetInQueue("TopicH", q)).toBe(25);
      expect(queueRaw(slave, q)).toEqual(queueRaw(master, q));
    }
    expect(dispatched.map((r) => r.commitLogOffset)).toEqual(puts.map((p) => p.commitLogOffset));
    expect(slave.queryMessageByKey("TopicH", "h17", 32, 0, Number.MAX_SAFE_INTEGER)[0]!.msgId).toBe(
      puts[17]!.msgId,
    );
    expect(new Set(puts.map((p) => Math.floor(p.commitLogOffset / SEGMENT))).size).toBeGreaterThan(2);
  });

  test("refuses a gap, a damaged chunk or half a record, and stays unchanged", async () => {
    const master = await newStore();
    const slave = await newStore();
    await fillMaster(master, 10);
    const first = master.getCommitLogData(0, 600);
    const next = (await slave.appendRaw(0, first)).nextPhysicalOffset;
    const chunk = master.getCommitLogData(next, 600);
    await expectCode(slave.appendRaw(next + 1, chunk), ResponseCode.INVALID_PARAMETER);
    await expectCode(slave.appendRaw(0, first), ResponseCode.INVALID_PARAMETER);
    const damaged = chunk.slice();
    damaged[100]! ^= 1; // in the first record's body (the CRC covers bodies only)
    await expectCode(slave.appendRaw(next, damaged), ResponseCode.INVALID_PARAMETER);
    await expectCode(
      slave.appendRaw(next, chunk.subarray(0, chunk.length - 3)),
      ResponseCode.INVALID_PARAMETER,
    );
    await expectCode(slave.appendRaw(next, new Uint8Array(0)), ResponseCode.INVALID_PARAMETER);
    expect(slave.maxPhysicalOffset).toBe(next);
    expect((await slave.appendRaw(next, chunk)).nextPhysicalOffset).toBe(next + chunk.length);
  });

  test("an empty replica may start at the master's current segment; queues then start mid-way", async () => {
    const master = await newStore();
    const puts = await fillMaster(master, 40);
    const start = Math.floor(master.maxPhysicalOffset / SEGMENT) * SEGMENT;
    const slave = await newStore();
    await expectCode(
      slave.appendRaw(start + 8, master.getCommitLogData(start, 100)),
      ResponseCode.INVALID_PARAMETER,
    );
    await replicate(master, slave, start);
    const firstCopied = puts.find((p) => p.commitLogOffset >= start)!;
    expect(slave.minPhysicalOffset).toBe(start);
    expect(slave.getMaxOffsetInQueue("TopicH", 0)).toBe(20);
    const minQ = Math.min(slave.getMinOffsetInQueue("TopicH", 0), slave.getMinOffsetInQueue("TopicH", 1));
    expect(minQ).toBe(Math.floor(firstCopied.queueOffset));
    expect(slave.getMessages({ topic: "TopicH", queueId: 0, queueOffset: 0, maxCount: 1 }).status).toBe(
      "OFFSET_TOO_SMALL",
    );
  });

  test("a replica keeps replicating after a restart or a crash, and can take writes when it becomes master", async () => {
    const master = await newStore();
    const slaveDir = tempDir("ha");
    const slave = await newStore(slaveDir);
    await fillMaster(master, 20);
    const mid = await replicate(master, slave, 0);
    await slave.close();
    stores.splice(stores.indexOf(slave), 1);
    const crashed = crashCopy(slaveDir);
    dirs.push(crashed);

    const restarted = await newStore(slaveDir);
    const more = await fillMaster(master, 10);
    expect(await replicate(master, restarted, mid)).toBe(master.maxPhysicalOffset);
    for (const q of [0, 1]) expect(queueRaw(restarted, q)).toEqual(queueRaw(master, q));

    // The broker role is not a store constant: the replica takes writes and continues the queues.
    const put = await restarted.putMessage({ topic: "TopicH", queueId: 1, body: bodyOf(99) });
    expect(put.queueOffset).toBe(master.getMaxOffsetInQueue("TopicH", 1));
    expect(put.commitLogOffset).toBeGreaterThanOrEqual(more[more.length - 1]!.commitLogOffset);

    const fromCrash = await newStore(crashed);
    expect(fromCrash.maxPhysicalOffset).toBe(mid);
  });

  test("getCommitLogData hands out whole records and refuses offsets that are not record starts", async () => {
    const master = await newStore();
    const puts = await fillMaster(master, 5);
    expect(master.getCommitLogData(master.maxPhysicalOffset, 100).length).toBe(0);
    const one = master.getCommitLogData(0, 1);
    expect(one.length).toBe(puts[0]!.wroteBytes); // at least one record, whatever maxBytes says
    expect(master.getCommitLogData(0, puts[0]!.wroteBytes + 10).length).toBe(puts[0]!.wroteBytes);
    expect(() => master.getCommitLogData(5, 100)).toThrow(MqError);
    expect(() => master.getCommitLogData(master.maxPhysicalOffset + 1, 100)).toThrow(MqError);
  });
});
