import { expect, test } from "bun:test";
import { ResponseCode } from "../response-code.ts";
import { Connection, SEPARATE_BODY_BYTES, type Transport } from "./connection.ts";
import { createFrameDecoder, decodeFrame, encodeFrame } from "./frame.ts";
import { createRequest, createResponse, type RemotingCommand } from "./remoting-command.ts";

/*
 * The Connection's write queue against a socket that takes a few bytes per write (as Bun's socket.write may) and
 * one that closes halfway: what the peer decodes must be the responses, whole and in request order.
 */

const SIZED = 9101;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}

/** A body of `size` bytes whose content depends on `seed`, so a swapped or torn body shows. */
function patterned(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

/** A socket stand-in that accepts at most `perWrite` bytes per write and closes (-1) past `closeAfter` bytes. */
function stingySocket(perWrite: number, closeAfter = Number.POSITIVE_INFINITY) {
  const decoder = createFrameDecoder();
  const state = {
    written: 0,
    writes: 0,
    ended: false,
    frames: [] as RemotingCommand[],
    /** The buffers written from, to tell a part written as it is from a copy. */
    sources: new Set<ArrayBufferLike>(),
  };
  const transport: Transport = {
    write(data) {
      if (state.ended || state.written >= closeAfter) return -1;
      state.writes++;
      state.sources.add(data.buffer);
      const take = Math.min(perWrite, data.length, closeAfter - state.written);
      // The connection may reuse nothing it handed over, but copy as a kernel would.
      state.frames.push(...decoder.push(data.slice(0, take)).map(decodeFrame));
      state.written += take;
      return take;
    },
    end() {
      state.ended = true;
    },
  };
  return { transport, state };
}

function sizedConnection(transport: Transport) {
  const errors: unknown[] = [];
  const bodies: Uint8Array[] = [];
  const connection = new Connection(
    1,
    "127.0.0.1:1",
    transport,
    (code) =>
      code === SIZED
        ? (cmd) => {
            const i = Number(cmd.extFields.i);
            const body = patterned(Number(cmd.extFields.size), i);
            bodies[i] = body;
            return createResponse(cmd, ResponseCode.SUCCESS, undefined, { i }, body);
          }
        : undefined,
    {
      maxFrameSize: 8 * 1024 * 1024,
      maxWriteQueueBytes: 64 * 1024 * 1024,
      pauseReadingAboveBytes: 0,
      serializeType: "ROCKETMQ",
      onError: (err) => errors.push(err),
    },
  );
  return { connection, errors, bodies };
}

const SIZES = [
  100,
  SEPARATE_BODY_BYTES - 1,
  SEPARATE_BODY_BYTES,
  0,
  300 * 1024,
  36 * 1024,
  10,
  36 * 1024,
  5000,
  20,
];

/** Requests with interleaved small and big bodies, all arriving in one read (one event-loop turn). */
function burst(count: number, serializeType: "ROCKETMQ" | "JSON" = "ROCKETMQ"): Uint8Array {
  const frames = Array.from({ length: count }, (_, i) =>
    encodeFrame(
      { ...createRequest(SIZED, { i, size: SIZES[i % SIZES.length] }), opaque: i + 1 },
      serializeType,
    ),
  );
  return Buffer.concat(frames);
}

function expectInOrder(frames: RemotingCommand[], count: number): void {
  expect(frames.length).toBe(count);
  frames.forEach((res, i) => {
    expect(res.opaque).toBe(i + 1);
    expect(res.extFields.i).toBe(String(i));
    const size = SIZES[i % SIZES.length]!;
    expect(res.body?.length ?? 0).toBe(size);
    if (size > 0) expect(Buffer.compare(res.body!, patterned(size, i))).toBe(0);
  });
}

for (const serializeType of ["ROCKETMQ", "JSON"] as const) {
  test(`big and small responses interleaved reach the peer whole and in order (${serializeType} headers)`, async () => {
    const socket = stingySocket(Number.POSITIVE_INFINITY);
    const { connection, errors, bodies } = sizedConnection(socket.transport);
    connection.receive(burst(40, serializeType));
    await waitFor(() => socket.state.frames.length === 40, "40 responses");
    expectInOrder(socket.state.frames, 40);
    // Parts still share writes: far fewer writes than frames.
    expect(socket.state.writes).toBeLessThan(20);
    // A body bigger than a merged write goes to the socket as it is, not copied.
    bodies.forEach((body, i) => {
      expect(socket.state.sources.has(body.buffer)).toBe(body.length > 256 * 1024);
      expect(SIZES[i % SIZES.length]).toBe(body.length);
    });
    expect(connection.pendingWriteBytes).toBe(0);
    expect(errors).toEqual([]);
  });
}

test("a socket that takes a few bytes per write gets every response whole and in order", async () => {
  // 4093 bytes: a prime, so writes end inside heads, bodies and merged buffers alike.
  const socket = stingySocket(4093);
  const { connection, errors } = sizedConnection(socket.transport);
  connection.receive(burst(30));
  // Each partial write waits for the socket's drain, as Bun's and node:net's do.
  const deadline = Date.now() + 10_000;
  while (socket.state.frames.length < 30) {
    if (Date.now() > deadline) throw new Error(`only ${socket.state.frames.length} of 30 responses arrived`);
    await Bun.sleep(0);
    connection.drained();
  }
  expectInOrder(socket.state.frames, 30);
  expect(connection.pendingWriteBytes).toBe(0);
  expect(errors).toEqual([]);
});

test("a socket closed in the middle of a big body closes the connection and drops what waits", async () => {
  const socket = stingySocket(8192, 120 * 1024);
  const { connection } = sizedConnection(socket.transport);
  let closes = 0;
  connection.onClose(() => closes++);
  connection.receive(burst(20));
  const deadline = Date.now() + 5000;
  while (!connection.closed) {
    if (Date.now() > deadline) throw new Error("the connection did not see the close");
    await Bun.sleep(0);
    connection.drained();
  }
  expect(closes).toBe(1);
  expect(connection.pendingWriteBytes).toBe(0);
  // What the peer got before the close is a run of whole responses in order (the next one torn off).
  const got = socket.state.frames.length;
  expect(got).toBeGreaterThan(0);
  expect(got).toBeLessThan(20);
  expectInOrder(socket.state.frames, got);
  // Nothing is written after the close, not even when the socket reports it can take more.
  const writes = socket.state.writes;
  connection.drained();
  await Bun.sleep(0);
  expect(socket.state.writes).toBe(writes);
});
