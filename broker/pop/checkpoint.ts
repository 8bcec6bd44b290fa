import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/**
 * A pop checkpoint (RocketMQ's PopCheckPoint): which messages of one queue a pop handed out, when, for how long,
 * and which of them were acked since. In memory it is the source of truth for revive; in the revive log it is a
 * `ck` record followed by `ack` records and, once revived, a `done` record (see README.md).
 */
export interface Checkpoint {
  consumerGroup: string;
  /** The topic the messages were read from: the topic itself or its pop retry topic. */
  readTopic: string;
  /** The topic the consumer popped (what acks and redeliveries are about). */
  topic: string;
  queueId: number;
  /** First queue offset the pop scanned; receipt handles carry it to find the checkpoint. */
  startOffset: number;
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  /** Queue offsets of the messages handed out, ascending. */
  offsets: number[];
  /** Their CommitLog offsets (same order), to reload them on revive. */
  commitLogOffsets: number[];
  /** Where the group's offset on the queue went after this pop (restored on recovery). */
  nextOffset: number;
  acked: Set<number>;
  /** Queue offset of the `ck` record in the revive log (-1 while it is being written). */
  reviveOffset: number;
}

export function checkpointKey(
  consumerGroup: string,
  readTopic: string,
  queueId: number,
  startOffset: number,
  popTime: number,
): string {
  return `${consumerGroup}\u0001${readTopic}\u0001${queueId}\u0001${startOffset}\u0001${popTime}`;
}

export const keyOf = (ck: Checkpoint) =>
  checkpointKey(ck.consumerGroup, ck.readTopic, ck.queueId, ck.startOffset, ck.popTime);

/** Revive log record tags. */
export const CK_TAG = "ck";
export const ACK_TAG = "ack";
export const DONE_TAG = "done";
/** Several acks of one CK in one record (RocketMQ's BATCH_ACK_TAG). */
export const BATCH_ACK_TAG = "bAck";

/** The JSON body of a `ck` record (short names, as RocketMQ's PopCheckPoint). */
interface CkBody {
  c: string;
  t: string;
  ot: string;
  q: number;
  so: number;
  pt: number;
  it: number;
  rq: number;
  o: number[];
  co: number[];
  n: number;
}

/** The JSON body of an `ack` record (AckMsg), a `bAck` record (`aol`, BatchAckMsg) or a `done` record (neither). */
interface AckBody {
  c: string;
  t: string;
  q: number;
  so: number;
  pt: number;
  ao?: number;
  aol?: number[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const body: CkBody = {
    c: ck.consumerGroup,
    t: ck.readTopic,
    ot: ck.topic,
    q: ck.queueId,
    so: ck.startOffset,
    pt: ck.popTime,
    it: ck.invisibleTime,
    rq: ck.reviveQid,
    o: ck.offsets,
    co: ck.commitLogOffsets,
    n: ck.nextOffset,
  };
  return encoder.encode(JSON.stringify(body));
}

/** The fields every ack/done record of `ck` starts with, as JSON text without the closing brace. */
function ackHead(ck: Checkpoint): string {
  // Written as text: acks are on the hot path, and an object through JSON.stringify costs several times more.
  return `{"c":${JSON.stringify(ck.consumerGroup)},"t":${JSON.stringify(ck.readTopic)},"q":${ck.queueId},"so":${ck.startOffset},"pt":${ck.popTime}`;
}

export function encodeAck(ck: Checkpoint, ackOffset?: number): Uint8Array {
  return encoder.encode(ackOffset === undefined ? `${ackHead(ck)}}` : `${ackHead(ck)},"ao":${ackOffset}}`);
}

export function encodeBatchAck(ck: Checkpoint, ackOffsets: readonly number[]): Uint8Array {
  return encoder.encode(`${ackHead(ck)},"aol":[${ackOffsets.join(",")}]}`);
}

function corrupt(what: string): MqError {
  return new MqError(ResponseCode.SYSTEM_ERROR, `corrupt revive log record: ${what}`);
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

export function decodeCheckpoint(body: Uint8Array, reviveOffset: number): Checkpoint {
  let o: Partial<CkBody>;
  try {
    o = JSON.parse(decoder.decode(body));
  } catch {
    throw corrupt("ck body is not JSON");
  }
  if (
    typeof o.c !== "string" ||
    typeof o.t !== "string" ||
    typeof o.ot !== "string" ||
    ![o.q, o.so, o.pt, o.it, o.rq, o.n].every(isInt) ||
    !Array.isArray(o.o) ||
    !Array.isArray(o.co) ||
    o.o.length !== o.co.length ||
    !o.o.every(isInt) ||
    !o.co.every(isInt)
  )
    throw corrupt("ck fields");
  return {
    consumerGroup: o.c,
    readTopic: o.t,
    topic: o.ot,
    queueId: o.q!,
    startOffset: o.so!,
    popTime: o.pt!,
    invisibleTime: o.it!,
    reviveQid: o.rq!,
    offsets: o.o,
    commitLogOffsets: o.co,
    nextOffset: o.n!,
    acked: new Set(),
    reviveOffset,
  };
}

/** The checkpoint key an `ack`/`bAck`/`done` record refers to, and the acked offsets (`ack`, `bAck` only). */
export function decodeAck(body: Uint8Array): { key: string; ackOffset?: number; ackOffsets?: number[] } {
  let o: Partial<AckBody>;
  try {
    o = JSON.parse(decoder.decode(body));
  } catch {
    throw corrupt("ack body is not JSON");
  }
  if (typeof o.c !== "string" || typeof o.t !== "string" || ![o.q, o.so, o.pt].every(isInt))
    throw corrupt("ack fields");
  if (o.ao !== undefined && !isInt(o.ao)) throw corrupt("ack offset");
  if (o.aol !== undefined && !(Array.isArray(o.aol) && o.aol.every(isInt))) throw corrupt("ack offset list");
  return {
    key: checkpointKey(o.c, o.t, o.q!, o.so!, o.pt!),
    ...(o.ao !== undefined ? { ackOffset: o.ao } : {}),
    ...(o.aol !== undefined ? { ackOffsets: o.aol } : {}),
  };
}
