import { describe, expect, test } from "bun:test";
import { H2Connection, type H2Stream, type H2Transport } from "./h2-connection.ts";
import {
  CLIENT_PREFACE,
  encodeFrame,
  Flag,
  FRAME_HEADER_SIZE,
  FrameType,
  Setting,
  settingsPayload,
  uint32,
  uint32Payload,
} from "./h2-frame.ts";
import { encodeHeaderBlock } from "./hpack.ts";

/**
 * A transport that takes at most `accept` bytes per write (a socket whose buffer is full), keeping a copy of what
 * it took, as the connection reuses the buffer it passes.
 */
function socketLike(accept: number) {
  const taken: Uint8Array[] = [];
  let closed = false;
  const transport: H2Transport = {
    write(data) {
      if (closed) return -1;
      const n = Math.min(accept, data.byteLength);
      taken.push(data.slice(0, n));
      return n;
    },
    end() {
      closed = true;
    },
  };
  const bytes = () => Buffer.concat(taken);
  return { transport, bytes };
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

function parseFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at + FRAME_HEADER_SIZE <= bytes.byteLength) {
    const length = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
    frames.push({
      type: bytes[at + 3],
      flags: bytes[at + 4],
      streamId: uint32(bytes, at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + length),
    });
    at += FRAME_HEADER_SIZE + length;
  }
  expect(at).toBe(bytes.byteLength);
  return frames;
}

const request = (streamId: number) =>
  encodeFrame(
    FrameType.HEADERS,
    Flag.END_HEADERS | Flag.END_STREAM,
    streamId,
    encodeHeaderBlock([
      [":method", "POST"],
      [":path", "/x"],
    ]),
  );

function open(accept: number) {
  const socket = socketLike(accept);
  const streams: H2Stream[] = [];
  const connection = new H2Connection(socket.transport, {
    initialWindowSize: 1 << 20,
    connectionWindowSize: 16 << 20,
    maxConcurrentStreams: 100,
    maxHeaderListSize: 65_536,
    highWaterMark: 1 << 20,
    onStream: (s) => streams.push(s),
    onError: (err) => {
      throw err;
    },
  });
  // A client that opens big windows, so the responses below are not held back by flow control.
  connection.receive(CLIENT_PREFACE);
  connection.receive(
    encodeFrame(FrameType.SETTINGS, 0, 0, settingsPayload([[Setting.INITIAL_WINDOW_SIZE, 1 << 24]])),
  );
  connection.receive(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, uint32Payload(1 << 24)));
  return { connection, streams, socket };
}

/** Every DATA payload of a stream, joined. */
function dataOf(frames: Frame[], streamId: number): Buffer {
  return Buffer.concat(
    frames.filter((f) => f.type === FrameType.DATA && f.streamId === streamId).map((f) => f.payload),
  );
}

describe("H2Connection output", () => {
  test("writes the frames of many streams in one turn, past its initial buffer, in order and intact", async () => {
    const { streams, socket, connection } = open(Number.MAX_SAFE_INTEGER);
    const bodies = new Map<number, Uint8Array>();
    for (let i = 0; i < 40; i++) connection.receive(request(2 * i + 1));
    for (const s of streams) {
      // 40 x 6 KiB: more than the 64 KiB buffer, less than the size that forces a write mid-turn.
      const body = new Uint8Array(6 * 1024).map((_, j) => (j * 7 + s.id) & 0xff);
      bodies.set(s.id, body);
      s.respond(encodeHeaderBlock([[":status", "200"]]));
      s.write(body);
      s.end(encodeHeaderBlock([["grpc-status", "0"]]));
    }
    await Bun.sleep(0);
    await new Promise((resolve) => setImmediate(resolve));
    const frames = parseFrames(socket.bytes());
    for (const [id, body] of bodies) {
      expect(dataOf(frames, id).equals(body)).toBe(true);
      const ends = frames.filter((f) => f.streamId === id && f.flags & Flag.END_STREAM);
      expect(ends.map((f) => f.type)).toEqual([FrameType.HEADERS]);
    }
    expect(frames[0].type).toBe(FrameType.SETTINGS);
  });

  test("a socket taking a few bytes at a time gets every byte once, while the buffer is reused", async () => {
    const { streams, socket, connection } = open(1000);
    connection.receive(request(1));
    const [s] = streams;
    const body = new Uint8Array(300_000).map((_, j) => (j * 13) & 0xff);
    s.respond(encodeHeaderBlock([[":status", "200"]]));
    // Larger than the size that forces a write mid-turn: the rest stays queued and the buffer refills behind it.
    s.write(body);
    s.end(encodeHeaderBlock([["grpc-status", "0"]]));
    for (let i = 0; i < 2000; i++) {
      connection.drained();
      if (!connection.backlog) break;
    }
    expect(connection.backlog).toBe(0);
    const frames = parseFrames(socket.bytes());
    expect(dataOf(frames, 1).equals(body)).toBe(true);
    expect(frames.at(-1)?.type).toBe(FrameType.HEADERS);
    expect(frames.at(-1)?.flags).toBe(Flag.END_STREAM | Flag.END_HEADERS);
  });
});
