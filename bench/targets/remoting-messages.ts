/**
 * The requests a RocketMQ producer and pull consumer put on the wire, as the remoting generators send them:
 * SEND_MESSAGE_V2 (one message) and SEND_BATCH_MESSAGE (MessageDecoder.encodeMessages body) with the V2 header's
 * one-letter names, and PULL_MESSAGE with the subscription in the request.
 */
import { MESSAGE_MAGIC_CODE, MESSAGE_MAGIC_CODE_V2 } from "../../proto/message/index.ts";
import type { HeaderValues } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { buildTemplate, type FrameTemplate } from "./send-pipe.ts";
import { ID_PLACEHOLDER } from "./unique-ids.ts";

const PRODUCER_GROUP = "bench-producer";
export const CONSUMER_GROUP = "bench-consumer";

/** Properties as a Java producer sends them: the client-made UNIQ_KEY and WAIT=true. */
const propertiesText = `UNIQ_KEY\u0001${ID_PLACEHOLDER}\u0002WAIT\u0001true\u0002`;

function sendHeader(topic: string, queueId: number, batch: boolean, properties: string): HeaderValues {
  return {
    a: PRODUCER_GROUP,
    b: topic,
    c: "TBW102",
    d: 8,
    e: queueId,
    f: 0,
    g: Date.now(),
    h: 0,
    i: properties,
    j: 0,
    k: false,
    m: batch,
  };
}

/** One SEND_MESSAGE_V2 per queue. */
export function singleSendTemplates(topic: string, queues: number, body: Uint8Array): FrameTemplate[] {
  return Array.from({ length: queues }, (_, q) =>
    buildTemplate(RequestCode.SEND_MESSAGE_V2, sendHeader(topic, q, false, propertiesText), body, 1),
  );
}

/** One SEND_BATCH_MESSAGE of `batch` messages per queue. */
export function batchSendTemplates(
  topic: string,
  queues: number,
  body: Uint8Array,
  batch: number,
): FrameTemplate[] {
  const batchBody = encodeBatchBody(
    Array.from({ length: batch }, () => ({ body, properties: propertiesText })),
  );
  return Array.from({ length: queues }, (_, q) =>
    buildTemplate(RequestCode.SEND_BATCH_MESSAGE, sendHeader(topic, q, true, ""), batchBody, batch),
  );
}

const utf8 = new TextEncoder();
const BATCH_HEAD = 4 + 4 + 4 + 4 + 4;

/** `totalSize | magic | bodyCRC | flag | bodyLen + body | propertiesLen int16 + properties`, back to back. */
export function encodeBatchBody(
  entries: ReadonlyArray<{ body: Uint8Array; properties: string }>,
): Uint8Array {
  const encoded = entries.map((e) => ({ body: e.body, props: utf8.encode(e.properties) }));
  const size = encoded.reduce((n, e) => n + BATCH_HEAD + e.body.length + 2 + e.props.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    const total = BATCH_HEAD + e.body.length + 2 + e.props.length;
    view.setInt32(at, total);
    view.setInt32(at + 16, e.body.length);
    out.set(e.body, at + BATCH_HEAD);
    view.setInt16(at + BATCH_HEAD + e.body.length, e.props.length);
    out.set(e.props, at + BATCH_HEAD + e.body.length + 2);
    at += total;
  }
  return out;
}

/** PullSysFlag bits. */
export const PullFlag = Object.freeze({ COMMIT_OFFSET: 0x1, SUSPEND: 0x2, SUBSCRIPTION: 0x4 });

export interface PullArgs {
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  /** Commit the group's offset to this value with the pull (what a Java pull consumer does). */
  commitOffset?: number;
  /** Hold the pull at the broker this long when the queue is empty (long polling); 0 = answer at once. */
  suspendMs: number;
}

export function pullHeader(a: PullArgs): HeaderValues {
  const sysFlag =
    PullFlag.SUBSCRIPTION |
    (a.commitOffset !== undefined ? PullFlag.COMMIT_OFFSET : 0) |
    (a.suspendMs > 0 ? PullFlag.SUSPEND : 0);
  return {
    consumerGroup: CONSUMER_GROUP,
    topic: a.topic,
    queueId: a.queueId,
    queueOffset: a.queueOffset,
    maxMsgNums: a.maxMsgNums,
    sysFlag,
    commitOffset: a.commitOffset ?? 0,
    suspendTimeoutMillis: a.suspendMs,
    subscription: "*",
    subVersion: 0,
    expressionType: "TAG",
  };
}

/** Counts the stored records of a PULL_MESSAGE body by their TOTALSIZE, checking each one's magic code. */
export function countRecords(body: Uint8Array | undefined): number {
  if (!body) return 0;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let n = 0;
  for (let at = 0; at < body.length; n++) {
    const size = view.getInt32(at);
    const magic = view.getInt32(at + 4);
    if (
      size <= 0 ||
      at + size > body.length ||
      (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2)
    )
      throw new Error(`malformed pull body at byte ${at} (record ${n})`);
    at += size;
  }
  return n;
}
