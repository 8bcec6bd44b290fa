import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as h2connect, type IncomingHttpHeaders } from "node:http2";
import { connect as netConnect } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createLogger } from "../../config/index.ts";
import {
  Code,
  MessagingService,
  QueryRouteRequestSchema,
  QueryRouteResponseSchema,
  type ReceiveMessageRequest,
  ReceiveMessageRequestSchema,
  ReceiveMessageResponseSchema,
  SendMessageRequestSchema,
  SendMessageResponseSchema,
  TelemetryCommandSchema,
} from "../../proto/v2.ts";
import type { Route } from "../routes.ts";
import type { CallContext } from "../rpc/context.ts";
import { status } from "../status.ts";
import { encodeFrame } from "./grpc-frame.ts";
import { encodeGrpcMessage, GrpcServer, parseGrpcTimeout } from "./grpc-server.ts";

// The adapter is protocol plumbing: these routes are test handlers, not a stand-in for the proxy's RPCs.
const m = MessagingService.method;
/** How many ReceiveMessage handlers started waiting for their abort, and why each was aborted. */
let waiting = 0;
const abortReasons: string[] = [];
const routes = new Map<string, Route>([
  [
    "/apache.rocketmq.v2.MessagingService/QueryRoute",
    {
      kind: "unary",
      method: m.queryRoute,
      handle: async (req, call) =>
        create(QueryRouteResponseSchema, {
          status: status(Code.OK, `${(req as { topic?: { name: string } }).topic?.name}|${call.clientId}`),
        }),
    },
  ],
  [
    "/apache.rocketmq.v2.MessagingService/SendMessage",
    {
      kind: "unary",
      method: m.sendMessage,
      handle: async (req) => {
        const body = (req as { messages: { body: Uint8Array }[] }).messages[0]?.body;
        if (!body) throw new Error("boom: no message");
        return create(SendMessageResponseSchema, { status: status(Code.OK, String(body.byteLength)) });
      },
    },
  ],
  [
    "/apache.rocketmq.v2.MessagingService/ReceiveMessage",
    {
      kind: "server_streaming",
      method: m.receiveMessage,
      handle: async function* (req, call: CallContext) {
        const n = (req as ReceiveMessageRequest).batchSize;
        if (n < 0) {
          // Wait for the deadline: the adapter must end the call itself.
          waiting++;
          await new Promise((resolve) => call.signal.addEventListener("abort", resolve));
          abortReasons.push(String((call.signal.reason as Error)?.message));
          return;
        }
        for (let i = 0; i < n; i++)
          yield create(ReceiveMessageResponseSchema, {
            content: { case: "status", value: status(Code.OK, `${i}`) },
          });
      },
    },
  ],
  [
    "/apache.rocketmq.v2.MessagingService/Telemetry",
    {
      kind: "bidi_streaming",
      method: m.telemetry,
      handle: async function* (requests) {
        for await (const r of requests) yield r;
      },
    },
  ],
]);

interface Reply {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  messages: Uint8Array[];
}

function grpcCall(
  port: number,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    req.on("response", (h) => {
      responseHeaders = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      session.close();
      const all = Buffer.concat(chunks);
      const messages: Uint8Array[] = [];
      for (let at = 0; at < all.length; ) {
        const len = all.readUInt32BE(at + 1);
        messages.push(all.subarray(at + 5, at + 5 + len));
        at += 5 + len;
      }
      resolve({ headers: responseHeaders, trailers, messages });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const statusOf = (r: Reply) => String(r.trailers["grpc-status"] ?? r.headers["grpc-status"]);
const messageOf = (r: Reply) =>
  decodeURIComponent(String(r.trailers["grpc-message"] ?? r.headers["grpc-message"]));

describe("GrpcServer", () => {
  let server: GrpcServer;
  let port: number;
  beforeAll(async () => {
    server = new GrpcServer({
      routes,
      maxMessageSize: 5 * 1024 * 1024,
      logger: createLogger("test", { level: "silent" }),
    });
    port = await server.listen(0, "127.0.0.1");
  });
  afterAll(() => server.close());

  test("answers a unary call and passes metadata to the handler", async () => {
    const req = toBinary(QueryRouteRequestSchema, create(QueryRouteRequestSchema, { topic: { name: "t1" } }));
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/QueryRoute", encodeFrame(req), {
      "x-mq-client-id": "c1",
    });
    expect(r.headers["content-type"]).toBe("application/grpc");
    expect(statusOf(r)).toBe("0");
    expect(fromBinary(QueryRouteResponseSchema, r.messages[0]).status?.message).toBe("t1|c1");
  });

  test("accepts a message over 4 MiB up to its limit and refuses one beyond", async () => {
    const big = (n: number) =>
      encodeFrame(
        toBinary(
          SendMessageRequestSchema,
          create(SendMessageRequestSchema, { messages: [{ topic: { name: "t" }, body: new Uint8Array(n) }] }),
        ),
      );
    const ok = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/SendMessage",
      big(4 * 1024 * 1024 + 100),
    );
    expect(statusOf(ok)).toBe("0");
    expect(fromBinary(SendMessageResponseSchema, ok.messages[0]).status?.message).toBe(
      String(4 * 1024 * 1024 + 100),
    );
    const tooBig = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/SendMessage",
      big(6 * 1024 * 1024),
    );
    expect(statusOf(tooBig)).toBe("8");
  });

  test("streams many responses, then OK trailers", async () => {
    const req = toBinary(
      ReceiveMessageRequestSchema,
      create(ReceiveMessageRequestSchema, { batchSize: 2000 }),
    );
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/ReceiveMessage", encodeFrame(req));
    expect(r.messages.length).toBe(2000);
    expect(statusOf(r)).toBe("0");
  });

  test("echoes a bidi stream", async () => {
    const cmd = (n: string) =>
      encodeFrame(
        toBinary(TelemetryCommandSchema, create(TelemetryCommandSchema, { status: status(Code.OK, n) })),
      );
    const r = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/Telemetry",
      Buffer.concat([cmd("a"), cmd("b"), cmd("c")]),
    );
    expect(r.messages.map((x) => fromBinary(TelemetryCommandSchema, x).status?.message)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  test("ends a call at its grpc-timeout with DEADLINE_EXCEEDED", async () => {
    const req = toBinary(ReceiveMessageRequestSchema, create(ReceiveMessageRequestSchema, { batchSize: -1 }));
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/ReceiveMessage", encodeFrame(req), {
      "grpc-timeout": "200m",
    });
    expect(statusOf(r)).toBe("4");
  });

  test("answers bad calls with a gRPC status, not a hang", async () => {
    const unknown = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/Nope",
      encodeFrame(new Uint8Array()),
    );
    expect(statusOf(unknown)).toBe("12");
    const garbage = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/QueryRoute",
      encodeFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])),
    );
    expect(statusOf(garbage)).toBe("3");
    const truncated = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/QueryRoute",
      new Uint8Array([0, 0, 0, 1]),
    );
    expect(statusOf(truncated)).toBe("13");
    const none = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/QueryRoute", new Uint8Array());
    expect(statusOf(none)).toBe("13");
    const failing = await grpcCall(
      port,
      "/apache.rocketmq.v2.MessagingService/SendMessage",
      encodeFrame(toBinary(SendMessageRequestSchema, create(SendMessageRequestSchema, {}))),
    );
    expect(statusOf(failing)).toBe("13");
    expect(messageOf(failing)).toContain("boom");
  });

  test("keeps serving after a client sends garbage bytes instead of HTTP/2", async () => {
    await new Promise<void>((resolve) => {
      const s = netConnect(port, "127.0.0.1", () =>
        s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage"),
      );
      s.resume();
      s.on("error", () => resolve());
      s.on("close", () => resolve());
      s.setTimeout(2000, () => s.destroy());
    });
    const req = toBinary(
      QueryRouteRequestSchema,
      create(QueryRouteRequestSchema, { topic: { name: "after" } }),
    );
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/QueryRoute", encodeFrame(req));
    expect(fromBinary(QueryRouteResponseSchema, r.messages[0]).status?.message).toBe("after|");
  });
});

describe("GrpcServer's HTTP/2", () => {
  let server: GrpcServer;
  let port: number;
  beforeAll(async () => {
    server = new GrpcServer({
      routes,
      maxMessageSize: 5 * 1024 * 1024,
      logger: createLogger("test", { level: "silent" }),
    });
    port = await server.listen(0, "127.0.0.1");
  });
  afterAll(() => server.close());

  const queryRoute = (topic: string) =>
    encodeFrame(
      toBinary(QueryRouteRequestSchema, create(QueryRouteRequestSchema, { topic: { name: topic } })),
    );

  test("serves many concurrent calls on one connection, and answers PING", async () => {
    const session = h2connect(`http://127.0.0.1:${port}`);
    try {
      const one = (i: number) =>
        new Promise<string>((resolve, reject) => {
          const req = session.request({
            ":method": "POST",
            ":path": "/apache.rocketmq.v2.MessagingService/QueryRoute",
            "content-type": "application/grpc",
          });
          const chunks: Buffer[] = [];
          req.on("data", (c: Buffer) => chunks.push(c));
          req.on("end", () =>
            resolve(
              String(fromBinary(QueryRouteResponseSchema, Buffer.concat(chunks).subarray(5)).status?.message),
            ),
          );
          req.on("error", reject);
          req.end(queryRoute(`t${i}`));
        });
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => one(i)));
      expect(answers).toEqual(Array.from({ length: 300 }, (_, i) => `t${i}|`));
      const rtt = await new Promise<number>((resolve, reject) =>
        session.ping((err, ms) => (err ? reject(err) : resolve(ms))),
      );
      expect(rtt).toBeGreaterThanOrEqual(0);
    } finally {
      session.close();
    }
  });

  test("reads metadata split over CONTINUATION frames", async () => {
    const clientId = "c".repeat(40_000);
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/QueryRoute", queryRoute("big"), {
      "x-mq-client-id": clientId,
    });
    expect(fromBinary(QueryRouteResponseSchema, r.messages[0]).status?.message).toBe(`big|${clientId}`);
  });

  test("a client that resets its stream aborts the handler", async () => {
    const session = h2connect(`http://127.0.0.1:${port}`);
    try {
      const before = abortReasons.length;
      const waitingBefore = waiting;
      const req = session.request({
        ":method": "POST",
        ":path": "/apache.rocketmq.v2.MessagingService/ReceiveMessage",
        "content-type": "application/grpc",
      });
      req.on("error", () => undefined);
      req.end(
        encodeFrame(
          toBinary(ReceiveMessageRequestSchema, create(ReceiveMessageRequestSchema, { batchSize: -1 })),
        ),
      );
      const until = async (check: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      };
      await until(() => waiting > waitingBefore);
      req.close(8); // CANCEL
      await until(() => abortReasons.length > before);
      expect(abortReasons.slice(before)).toEqual(["client went away"]);
    } finally {
      session.close();
    }
  });

  test("a protocol error closes only that connection", async () => {
    // Preface, then a CONTINUATION frame that continues nothing: a connection error (GOAWAY, close).
    const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const continuation = Buffer.from([0, 0, 1, 9, 4, 0, 0, 0, 1, 0x82]);
    const received = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const s = netConnect(port, "127.0.0.1", () =>
        s.write(Buffer.concat([preface, settings, continuation])),
      );
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("close", () => resolve(Buffer.concat(chunks)));
      s.on("error", () => undefined);
      s.setTimeout(5000, () => s.destroy());
    });
    // Somewhere after the server's SETTINGS: a GOAWAY (type 7) with PROTOCOL_ERROR (1).
    const frames: { type: number; payload: Buffer }[] = [];
    for (let at = 0; at + 9 <= received.length; ) {
      const len = received.readUIntBE(at, 3);
      frames.push({ type: received[at + 3], payload: received.subarray(at + 9, at + 9 + len) });
      at += 9 + len;
    }
    const goaway = frames.find((f) => f.type === 7);
    expect(goaway?.payload.readUInt32BE(4)).toBe(1);
    const r = await grpcCall(port, "/apache.rocketmq.v2.MessagingService/QueryRoute", queryRoute("still"));
    expect(fromBinary(QueryRouteResponseSchema, r.messages[0]).status?.message).toBe("still|");
  });
});

describe("header helpers", () => {
  test("parses grpc-timeout units", () => {
    expect(parseGrpcTimeout("5S")).toBe(5000);
    expect(parseGrpcTimeout("200m")).toBe(200);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("7x")).toBeUndefined();
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
  });

  test("percent-encodes grpc-message", () => {
    expect(encodeGrpcMessage("a b%c\nü")).toBe("a b%25c%0A%C3%BC");
  });
});
