import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { createFrameDecoder, encodeFrame, FrameError } from "./grpc-frame.ts";

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe("gRPC frames", () => {
  test("encodes a 5-byte header and decodes it back", () => {
    const frame = encodeFrame(bytes(1, 2, 3));
    expect([...frame]).toEqual([0, 0, 0, 0, 3, 1, 2, 3]);
    expect(
      createFrameDecoder({ maxMessageSize: 10 })
        .push(frame)
        .map((m) => [...m]),
    ).toEqual([[1, 2, 3]]);
  });

  test("reassembles frames split at every byte and splits several frames in one chunk", () => {
    const all = Buffer.concat([encodeFrame(bytes(9)), encodeFrame(bytes()), encodeFrame(bytes(7, 7))]);
    const one = createFrameDecoder({ maxMessageSize: 10 });
    const got: number[][] = [];
    for (const b of all) for (const m of one.push(bytes(b))) got.push([...m]);
    expect(got).toEqual([[9], [], [7, 7]]);
    expect(one.pending).toBe(0);
    expect(createFrameDecoder({ maxMessageSize: 10 }).push(all).length).toBe(3);
  });

  test("refuses a message over the limit from its header alone", () => {
    const d = createFrameDecoder({ maxMessageSize: 4 });
    expect(() => d.push(bytes(0, 0, 0, 0, 5))).toThrow(FrameError);
    const caught = (() => {
      try {
        createFrameDecoder({ maxMessageSize: 4 }).push(bytes(0, 0xff, 0xff, 0xff, 0xff));
      } catch (err) {
        return err;
      }
    })();
    expect(caught).toBeInstanceOf(FrameError);
    expect((caught as FrameError).grpcStatus).toBe(8);
  });

  test("inflates gzip frames and refuses compression it was not told about", () => {
    const z = gzipSync(Buffer.from("hello"));
    const frame = Buffer.concat([bytes(1, 0, 0, 0, z.length), z]);
    const [m] = createFrameDecoder({ maxMessageSize: 100, encoding: "gzip" }).push(frame);
    expect(Buffer.from(m).toString()).toBe("hello");
    expect(() => createFrameDecoder({ maxMessageSize: 100 }).push(frame)).toThrow(FrameError);
    expect(() => createFrameDecoder({ maxMessageSize: 100, encoding: "snappy" }).push(frame)).toThrow(
      FrameError,
    );
    const junk = bytes(1, 0, 0, 0, 3, 1, 2, 3);
    expect(() => createFrameDecoder({ maxMessageSize: 100, encoding: "gzip" }).push(junk)).toThrow(
      FrameError,
    );
  });
});
