import { createServer, type Socket as NodeSocket } from "node:net";
import { fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../config/index.ts";
import { defaultSocketApi, type SocketApi } from "../../proto/remoting/index.ts";
import { createAsyncQueue } from "../async-queue.ts";
import type { Route } from "../routes.ts";
import { type CallContext, createCallContext } from "../rpc/context.ts";
import { createFrameDecoder, encodeFrame, FrameError } from "./grpc-frame.ts";
import { H2Connection, type H2Stream, type H2Transport } from "./h2-connection.ts";
import { encodeHeaderBlock } from "./hpack.ts";
import { createHuffmanTree, type HuffmanTree } from "./hpack-huffman.ts";

/**
 * Native gRPC over cleartext HTTP/2 (h2c), on this folder's own HTTP/2 layer (h2-connection.ts, hpack.ts) over
 * plain TCP sockets: Bun.serve has no h2c, and both node:http2 and connect-node cost several times more per call
 * than the rest of a SendMessage (see README.md, Performance). Sockets come from Bun.listen on Bun and node:net
 * elsewhere (the Cluster-mode proxy also runs under Deno).
 */
export interface GrpcServerOptions {
  routes: Map<string, Route>;
  /** Largest request message accepted (grpcMaxInboundMessageSize). */
  maxMessageSize: number;
  logger: Logger;
  now?: () => number;
  /** Socket API (defaultSocketApi: Bun's on Bun, node:net elsewhere). */
  sockets?: SocketApi;
}

/** The gRPC status numbers this adapter produces itself (handlers answer in the response Status). */
const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/** HTTP/2 limits of the server side; the request windows let a 4 MiB send through without round trips. */
const h2Limits = Object.freeze({
  initialWindowSize: 1 << 20,
  connectionWindowSize: 16 << 20,
  maxConcurrentStreams: 4096,
  maxHeaderListSize: 64 * 1024,
  highWaterMark: 1 << 20,
});

const RESPONSE_HEADERS = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", "application/grpc"],
]);
const OK_TRAILERS = encodeHeaderBlock([["grpc-status", "0"]]);

function trailersBlock(code: number, message: string, only: boolean): Uint8Array {
  if (code === GrpcStatus.OK && !message && !only) return OK_TRAILERS;
  return encodeHeaderBlock([
    ...(only
      ? ([
          [":status", "200"],
          ["content-type", "application/grpc"],
        ] as [string, string][])
      : []),
    ["grpc-status", String(code)],
    ...(message ? ([["grpc-message", encodeGrpcMessage(message)]] as [string, string][]) : []),
  ]);
}

interface Listening {
  port: number;
  stop(): void;
}

export class GrpcServer {
  readonly #options: GrpcServerOptions;
  readonly #now: () => number;
  readonly #connections = new Set<H2Connection>();
  readonly #calls = new Set<Call>();
  readonly #huffman: HuffmanTree = createHuffmanTree();
  #listener: Listening | undefined;
  #closing = false;

  constructor(options: GrpcServerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Listens and resolves with the bound port (pass 0 for a free one). */
  async listen(port: number, host: string): Promise<number> {
    const sockets = this.#options.sockets ?? defaultSocketApi;
    this.#listener = sockets === "bun" ? this.#listenBun(port, host) : await this.#listenNode(port, host);
    return this.#listener.port;
  }

  /**
   * Stops accepting, aborts in-flight calls (their handlers see the signal), sends GOAWAY and closes each
   * connection once its streams are done, cutting any still open after 200 ms.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#listener?.stop();
    this.#listener = undefined;
    for (const call of [...this.#calls]) call.abort(new Error("proxy is shutting down"));
    await Promise.all(
      [...this.#connections].map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => c.destroy(), 200);
            c.goAway(() => {
              clearTimeout(timer);
              c.destroy();
              resolve();
            });
          }),
      ),
    );
  }

  #accept(transport: H2Transport, peer: string): H2Connection {
    const connection = new H2Connection(transport, {
      ...h2Limits,
      huffman: this.#huffman,
      onStream: (stream) => this.#onStream(stream, peer),
      // A peer speaking garbage ends its own connection; it must never take the server down.
      onError: (err) => this.#options.logger.debug({ err, peer }, "grpc connection error"),
    });
    this.#connections.add(connection);
    if (this.#closing) connection.goAway(() => connection.destroy());
    return connection;
  }

  #closed(connection: H2Connection): void {
    connection.transportClosed();
    this.#connections.delete(connection);
  }

  #listenBun(port: number, host: string): Listening {
    const listener = Bun.listen<{ connection?: H2Connection }>({
      hostname: host,
      port,
      data: {},
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          socket.setNoDelay(true);
          const transport: H2Transport = {
            write: (data) => socket.write(data),
            end: () => socket.end(),
          };
          socket.data = { connection: this.#accept(transport, socket.remoteAddress) };
        },
        data: (socket, chunk) => socket.data.connection?.receive(chunk),
        drain: (socket) => socket.data.connection?.drained(),
        close: (socket) => {
          if (socket.data.connection) this.#closed(socket.data.connection);
        },
        error: (_socket, err) => this.#options.logger.debug({ err }, "grpc socket error"),
      },
    });
    return { port: listener.port, stop: () => listener.stop(false) };
  }

  #listenNode(port: number, host: string): Promise<Listening> {
    const server = createServer((socket: NodeSocket) => {
      socket.setNoDelay(true);
      // node:net buffers whatever it is given; refusing writes while it waits for "drain" keeps the excess in
      // the connection's own queue, where backpressure reaches the streams.
      const transport: H2Transport = {
        write: (data) => {
          if (socket.destroyed || !socket.writable) return -1;
          if (socket.writableNeedDrain) return 0;
          // node:net keeps what it is given; the connection reuses its buffer.
          socket.write(data.slice());
          return data.byteLength;
        },
        end: () => socket.end(),
      };
      const connection = this.#accept(transport, socket.remoteAddress ?? "");
      socket.on("data", (chunk: Uint8Array) => connection.receive(chunk));
      socket.on("drain", () => connection.drained());
      socket.on("close", () => this.#closed(connection));
      socket.on("error", (err) => this.#options.logger.debug({ err }, "grpc socket error"));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        server.on("error", (err) => this.#options.logger.error({ err }, "grpc server error"));
        const address = server.address();
        resolve({
          port: typeof address === "object" && address ? address.port : port,
          stop: () => server.close(),
        });
      });
    });
  }

  #onStream(stream: H2Stream, peer: string): void {
    const path = stream.header(":path") ?? "";
    const contentType = stream.header("content-type") ?? "";
    if (stream.header(":method") !== "POST" || !contentType.startsWith("application/grpc")) {
      stream.respond(
        encodeHeaderBlock([
          [":status", "415"],
          ["content-type", "text/plain"],
        ]),
      );
      stream.write(Buffer.from("gRPC requests are POST with content-type application/grpc\n"));
      stream.end(encodeHeaderBlock([]));
      return;
    }
    if (stream.headerListSize > h2Limits.maxHeaderListSize) {
      stream.end(trailersBlock(GrpcStatus.RESOURCE_EXHAUSTED, "request headers too large", true));
      return;
    }
    const route = this.#options.routes.get(path);
    if (!route) {
      stream.end(trailersBlock(GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`, true));
      return;
    }
    const call = new Call(stream, route, this.#options, this.#now(), peer, this.#calls);
    call.start();
  }
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec): anything outside printable ASCII, and '%'. */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  let out = "";
  for (const b of bytes) {
    if (b >= 0x20 && b <= 0x7e && b !== 0x25) out += String.fromCharCode(b);
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** grpc-timeout: an integer of at most 8 digits and a unit (H, M, S, m, u, n). */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (!value || value.length < 2 || value.length > 9) return undefined;
  const factor = TIMEOUT_UNIT_MS[value[value.length - 1]];
  if (factor === undefined) return undefined;
  let n = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n * factor;
}

/** One RPC on one HTTP/2 stream. */
class Call {
  // Made on first use: a unary SendMessage never looks at its signal, and an AbortController per call shows.
  #abort: AbortController | undefined;
  #abortReason: unknown;
  readonly #context: CallContext;
  #decoder: ReturnType<typeof createFrameDecoder> | undefined;
  #responded = false;
  #finished = false;
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly stream: H2Stream,
    readonly route: Route,
    readonly options: GrpcServerOptions,
    now: number,
    peer: string,
    readonly live: Set<Call>,
  ) {
    const timeoutMs = parseGrpcTimeout(stream.header("grpc-timeout"));
    this.#context = createCallContext({
      header: (name) => stream.header(name),
      signal: () => this.#signal(),
      timeoutMs,
      protocol: "grpc",
      peer,
      now,
    });
    if (timeoutMs !== undefined) {
      this.#deadlineTimer = setTimeout(() => {
        this.#cancel(new Error("deadline exceeded"));
        this.#finish(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");
      }, timeoutMs);
    }
    live.add(this);
    stream.onAbort = () => {
      if (!this.#finished) this.abort(new Error("client went away"));
      this.#done();
    };
  }

  /** Aborts the handler (its signal fires) and ends the call with CANCELLED. */
  abort(reason: Error): void {
    this.#cancel(reason);
    this.#finish(GrpcStatus.CANCELLED, "cancelled");
  }

  #signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#abortReason !== undefined) this.#abort.abort(this.#abortReason);
    }
    return this.#abort.signal;
  }

  #cancel(reason: unknown): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason ?? new Error("cancelled");
    this.#abort?.abort(this.#abortReason);
  }

  start(): void {
    const { route, stream } = this;
    if (route.kind === "bidi_streaming") {
      const requests = createAsyncQueue<Message>();
      stream.onData = (chunk) => {
        const messages = this.#decode(chunk);
        if (messages === undefined) requests.fail(new FrameError(GrpcStatus.CANCELLED, "bad request"));
        else for (const m of messages) requests.push(m);
      };
      stream.onEnd = () => {
        if ((this.#decoder?.pending ?? 0) > 0)
          requests.fail(new FrameError(GrpcStatus.INTERNAL, "truncated gRPC frame"));
        else requests.end();
      };
      const prevAbort = stream.onAbort;
      stream.onAbort = () => {
        requests.fail(new FrameError(GrpcStatus.CANCELLED, "client cancelled"));
        prevAbort?.();
      };
      this.#settle(this.#writeAll(route.handle(requests, this.#context)));
      return;
    }
    let request: Message | undefined;
    let count = 0;
    stream.onData = (chunk) => {
      const messages = this.#decode(chunk);
      if (messages === undefined) return;
      count += messages.length;
      if (count > 1) {
        this.#cancel(new Error("more than one request message"));
        this.#finish(GrpcStatus.UNIMPLEMENTED, "expected exactly one request message");
        return;
      }
      if (messages.length === 1) request = messages[0];
    };
    stream.onEnd = () => {
      if (this.#finished) return;
      if ((this.#decoder?.pending ?? 0) > 0) {
        this.#finish(GrpcStatus.INTERNAL, "truncated gRPC frame");
        return;
      }
      if (!request) {
        this.#finish(GrpcStatus.INTERNAL, "expected one request message");
        return;
      }
      if (route.kind === "unary") this.#settle(this.#unary(route.handle(request, this.#context)));
      else this.#settle(this.#writeAll(route.handle(request, this.#context)));
    };
  }

  /** Decodes the messages a chunk completes; undefined (and the call ended) when it cannot. */
  #decode(chunk: Uint8Array): Message[] | undefined {
    if (this.#finished) return undefined;
    const input = this.route.method.input;
    try {
      // The usual request: one whole uncompressed message in one DATA frame, decoded without a decoder.
      if (this.#decoder === undefined && chunk.byteLength >= 5 && chunk[0] === 0) {
        const length = ((chunk[1] << 24) | (chunk[2] << 16) | (chunk[3] << 8) | chunk[4]) >>> 0;
        if (length === chunk.byteLength - 5 && length <= this.options.maxMessageSize)
          return [fromBinary(input, chunk.subarray(5))];
      }
      this.#decoder ??= createFrameDecoder({
        maxMessageSize: this.options.maxMessageSize,
        encoding: this.stream.header("grpc-encoding"),
      });
      const out: Message[] = [];
      for (const bytes of this.#decoder.push(chunk)) out.push(fromBinary(input, bytes));
      return out;
    } catch (err) {
      const code = err instanceof FrameError ? err.grpcStatus : GrpcStatus.INVALID_ARGUMENT;
      const message = err instanceof FrameError ? err.message : `cannot decode ${input.typeName}`;
      this.#cancel(err);
      this.#finish(code, message);
      return undefined;
    }
  }

  async #unary(response: Promise<unknown>): Promise<void> {
    const r = await response;
    if (this.#finished || this.stream.closed) return;
    this.#respondHeaders();
    this.stream.write(encodeFrame(toBinary(this.route.method.output, r as Message)));
  }

  async #writeAll(responses: AsyncIterable<unknown>): Promise<void> {
    const output = this.route.method.output;
    for await (const response of responses) {
      if (this.#finished || this.stream.closed) return;
      this.#respondHeaders();
      if (!this.stream.write(encodeFrame(toBinary(output, response as Message)))) await this.stream.drained();
    }
  }

  #settle(work: Promise<void>): void {
    work.then(
      () => this.#finish(GrpcStatus.OK, ""),
      (err) => this.#failed(err),
    );
  }

  #failed(err: unknown): void {
    const { route, options } = this;
    if (err instanceof FrameError) this.#finish(err.grpcStatus, err.message);
    else if (this.#abortReason !== undefined) this.#finish(GrpcStatus.CANCELLED, "cancelled");
    else if (err instanceof ConnectError) {
      // connect-es Code values are the gRPC status numbers.
      options.logger.warn({ err, path: route.method.name }, "handler failed");
      this.#finish(err.code, err.rawMessage);
    } else {
      options.logger.error({ err, path: route.method.name }, "handler failed");
      this.#finish(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
    }
  }

  #respondHeaders(): void {
    if (this.#responded) return;
    this.#responded = true;
    this.stream.respond(RESPONSE_HEADERS);
  }

  #finish(code: number, message: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.stream.end(trailersBlock(code, message, !this.#responded));
    this.#done();
  }

  #done(): void {
    clearTimeout(this.#deadlineTimer);
    this.live.delete(this);
  }
}
