import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { H2Pipe, HeaderEncoder } from "./h2-pipe.ts";

// A plain node:http2 server stands in for any gRPC server: it answers with the request's size, or streams.
let server: Http2Server;
let port = 0;
const seen: { path: string; contentType: string; te: string }[] = [];

function grpcMessage(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

beforeAll(async () => {
  server = createServer();
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    seen.push({
      path: String(headers[":path"]),
      contentType: String(headers["content-type"]),
      te: String(headers.te),
    });
    const chunks: Uint8Array[] = [];
    stream.on("data", (c: Uint8Array) => chunks.push(c));
    stream.on("end", () => {
      const size = chunks.reduce((n, c) => n + c.length, 0) - 5;
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const count = String(headers[":path"]).endsWith("/Stream") ? 3 : 1;
      for (let i = 0; i < count; i++) stream.write(grpcMessage(new TextEncoder().encode(`${size}:${i}`)));
      stream.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("H2Pipe", () => {
  test("unary and server-streaming calls, many in flight, with a body larger than the default windows", async () => {
    const pipe = await H2Pipe.open(port);
    try {
      const big = new Uint8Array(200_000).fill(7);
      const small = new Uint8Array(10);
      const answers = await Promise.all([
        pipe.unary("SendMessage", big),
        ...Array.from({ length: 50 }, () => pipe.unary("SendMessage", small)),
      ]);
      const text = answers.map((a) => new TextDecoder().decode(a));
      expect(text[0]).toBe("200000:0");
      expect(text.slice(1).every((t) => t === "10:0")).toBe(true);

      const parts: string[] = [];
      await pipe.serverStream("Stream", small, (m) => parts.push(new TextDecoder().decode(m)));
      expect(parts).toEqual(["10:0", "10:1", "10:2"]);
      // 52 calls, all decoded by the server with the right headers (indexed ones included).
      expect(seen.length).toBe(52);
      expect(seen.slice(0, 51).every((x) => x.path.endsWith("/SendMessage") && x.te === "trailers")).toBe(
        true,
      );
      expect(seen[0]).toEqual({
        path: "/apache.rocketmq.v2.MessagingService/SendMessage",
        contentType: "application/grpc",
        te: "trailers",
      });
    } finally {
      pipe.close();
    }
  });

  test("header blocks: literals with incremental indexing once, then indexed fields; long lengths", () => {
    const encoder = new HeaderEncoder();
    const path = `/${"x".repeat(300)}`;
    const first = encoder.block(path, "127.0.0.1:1");
    // 0x44 = :path (static 4) with incremental indexing, then the length 301: 7-bit prefix 127 + 174, 1.
    expect(Array.from(first.subarray(2, 6))).toEqual([0x44, 0x7f, 174, 1]);
    // Second time: :method, :scheme, then the four entries by dynamic index (te newest = 62, :path = 65).
    expect(Array.from(encoder.block(path, "127.0.0.1:1"))).toEqual([
      0x83,
      0x86,
      0x80 | 65,
      0x80 | 64,
      0x80 | 63,
      0x80 | 62,
    ]);
    // A table too small to index: literals without indexing, every time.
    const plain = new HeaderEncoder(0);
    plain.block("/a", "h");
    expect(plain.block("/a", "h")[2]).toBe(0x04);
  });

  test("calls fail once the pipe is closed", async () => {
    const pipe = await H2Pipe.open(port);
    pipe.close();
    await expect(pipe.unary("SendMessage", new Uint8Array(1))).rejects.toThrow();
  });
});
