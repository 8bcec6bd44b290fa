import { toBinary } from "@bufbuild/protobuf";
import { type SendMessageResponse, SendMessageResponseSchema, type Status } from "../../proto/v2.ts";

/**
 * SendMessageResponse written straight to bytes, behind `room` spare bytes at the front (the adapter's gRPC
 * frame header). SendMessage is the proxy's busiest call, and protobuf-es's reflective writer costs more than
 * the whole HTTP/2 layer for it. The output is exactly toBinary's (send-message-wire.test.ts checks it);
 * anything unusual (unknown fields, a negative offset) is handed to toBinary.
 */
export function encodeSendMessageResponse(res: SendMessageResponse, room: number): Uint8Array {
  if (!plain(res)) return withRoom(toBinary(SendMessageResponseSchema, res), room);
  const statusSize = res.status ? statusBodySize(res.status) : -1;
  let size = statusSize >= 0 ? 1 + varintSize(statusSize) + statusSize : 0;
  const entrySizes: number[] = [];
  for (const e of res.entries) {
    let n = 0;
    if (e.status) {
      const s = statusBodySize(e.status);
      n += 1 + varintSize(s) + s;
    }
    n += stringFieldSize(e.messageId) + stringFieldSize(e.transactionId) + stringFieldSize(e.recallHandle);
    if (e.offset !== 0n) n += 1 + varintSize(Number(e.offset));
    entrySizes.push(n);
    size += 1 + varintSize(n) + n;
  }
  const out = Buffer.allocUnsafe(room + size);
  let at = room;
  const varint = (v: number) => {
    while (v > 0x7f) {
      out[at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[at++] = v;
  };
  const string = (tag: number, s: string) => {
    if (s === "") return;
    out[at++] = tag;
    varint(Buffer.byteLength(s));
    at += out.write(s, at, "utf8");
  };
  const status = (tag: number, s: Status, bodySize: number) => {
    out[at++] = tag;
    varint(bodySize);
    if (s.code !== 0) {
      out[at++] = 0x08;
      varint(s.code);
    }
    string(0x12, s.message);
  };
  if (res.status) status(0x0a, res.status, statusSize);
  res.entries.forEach((e, i) => {
    out[at++] = 0x12;
    varint(entrySizes[i]);
    if (e.status) status(0x0a, e.status, statusBodySize(e.status));
    string(0x12, e.messageId);
    string(0x1a, e.transactionId);
    if (e.offset !== 0n) {
      out[at++] = 0x20;
      varint(Number(e.offset));
    }
    string(0x2a, e.recallHandle);
  });
  return out;
}

/** No unknown fields, codes and offsets in the plain varint range: the shape this writer handles. */
function plain(res: SendMessageResponse): boolean {
  const okStatus = (s: Status | undefined) => !s || (!s.$unknown && s.code >= 0 && s.code < 2 ** 31);
  if (res.$unknown || !okStatus(res.status)) return false;
  for (const e of res.entries)
    if (e.$unknown || !okStatus(e.status) || e.offset < 0n || e.offset > BigInt(Number.MAX_SAFE_INTEGER))
      return false;
  return true;
}

function statusBodySize(s: Status): number {
  return (s.code !== 0 ? 1 + varintSize(s.code) : 0) + stringFieldSize(s.message);
}

function stringFieldSize(s: string): number {
  if (s === "") return 0;
  const n = Buffer.byteLength(s);
  return 1 + varintSize(n) + n;
}

function varintSize(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function withRoom(bytes: Uint8Array, room: number): Uint8Array {
  const out = new Uint8Array(room + bytes.byteLength);
  out.set(bytes, room);
  return out;
}
