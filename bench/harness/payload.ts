/**
 * Benchmark message bodies: the first 8 bytes carry the send time (ms on the wall clock,
 * as a float64, so producer and consumer may be different processes), the next 4 a sequence number.
 */
export const PAYLOAD_HEADER_BYTES = 12;

/** Milliseconds on a clock shared by all processes of this machine, with sub-ms resolution. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function makePayload(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < PAYLOAD_HEADER_BYTES) {
    throw new Error(`message size must be an integer of at least ${PAYLOAD_HEADER_BYTES} bytes: ${size}`);
  }
  const body = new Uint8Array(size);
  for (let i = PAYLOAD_HEADER_BYTES; i < size; i++) body[i] = 97 + (i % 26);
  return body;
}

/** A body of pseudo-random bytes, the same each time (a CRC and a copy do the same work on any bytes). */
export function makeNoiseBody(size: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function stampPayload(body: Uint8Array, seq: number, sentAtMs: number): Uint8Array {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  view.setFloat64(0, sentAtMs, true);
  view.setUint32(8, seq >>> 0, true);
  return body;
}

export function readStamp(body: Uint8Array): { seq: number; sentAtMs: number } {
  if (body.byteLength < PAYLOAD_HEADER_BYTES) throw new Error(`payload too short: ${body.byteLength} bytes`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return { sentAtMs: view.getFloat64(0, true), seq: view.getUint32(8, true) };
}
