import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../config/index.ts";
import { createAsyncQueue } from "../async-queue.ts";
import type { Route } from "../routes.ts";
import { type CallContext, createCallContext } from "../rpc/context.ts";
import { createFrameDecoder, encodeFrame, FrameError } from "./grpc-frame.ts";

/**
 * Native gRPC over cleartext HTTP/2 (h2c) on node:http2, with a thin hand-rolled framing layer: Bun.serve has
 * no h2c, and connect-node's per-message pipeline caps server streaming (ReceiveMessage) at a few thousand
 * messages per second, several times slower than writing frames directly.
 */
export interface GrpcServerOptions {
  routes: Map<string, Route>;
  /** Largest request message accepted (grpcMaxInboundMessageSize). */
  maxMessageSize: number;
  logger: Logger;
  now?: () => number;
}

/** The gRPC status numbers this adapter produces itself (handlers answer in the response Status). */
const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

export class GrpcServer {
  readonly #server: Http2Server;
  readonly #sessions = new Set<Http2Session>();
  readonly #shutdown = new AbortController();
  readonly #options: GrpcServerOptions;
  readonly #now: () => number;

  constructor(options: GrpcServerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#server = createServer({
      // Bigger windows so a 4 MiB send is not chopped into 64 KiB round trips.
      settings: { initialWindowSize: 1 << 20, maxHeaderListSize: 64 * 1024 },
      maxSessionMemory: 64,
    });
    this.#server.on("session", (session) => {
      this.#sessions.add(session);
      session.on("close", () => this.#sessions.delete(session));
      // A peer speaking garbage ends its own session; it must never take the server down.
      session.on("error", (err) => options.logger.debug({ err }, "grpc session error"));
    });
    this.#server.on("sessionError", (err) => options.logger.debug({ err }, "grpc session error"));
    this.#server.on("stream", (stream, headers) => this.#onStream(stream as ServerHttp2Stream, headers));
  }

  /** Listens and resolves with the bound port (pass 0 for a free one). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(port, host, () => {
        this.#server.off("error", onError);
        this.#server.on("error", (err) => this.#options.logger.error({ err }, "grpc server error"));
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, aborts in-flight calls (their handlers see the signal) and closes every session. */
  close(): Promise<void> {
    this.#shutdown.abort(new Error("proxy is shutting down"));
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const session of this.#sessions) {
        session.close();
        // Sessions with hung streams would keep close() waiting; give them a moment, then cut them.
        setTimeout(() => session.destroyed || session.destroy(), 200).unref();
      }
    });
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on("error", (err) => this.#options.logger.debug({ err }, "grpc stream error"));
    const path = String(headers[constants.HTTP2_HEADER_PATH] ?? "");
    const contentType = String(headers[constants.HTTP2_HEADER_CONTENT_TYPE] ?? "");
    if (headers[constants.HTTP2_HEADER_METHOD] !== "POST" || !contentType.startsWith("application/grpc")) {
      stream.respond({ ":status": 415, "content-type": "text/plain" }, { endStream: false });
      stream.end("gRPC requests are POST with content-type application/grpc\n");
      return;
    }
    const route = this.#options.routes.get(path);
    if (!route) {
      trailersOnly(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    const call = new Call(stream, headers, route, this.#options, this.#now(), this.#shutdown.signal);
    call.run().catch((err) => this.#options.logger.error({ err, path }, "grpc call failed"));
  }
}

function trailersOnly(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.end();
    return;
  }
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(message),
    },
    { endStream: true },
  );
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

/** grpc-timeout: an integer of at most 8 digits and a unit (H, M, S, m, u, n). */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const factor = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[m[2] as "H"];
  return n * factor;
}

/** One RPC on one HTTP/2 stream. */
class Call {
  readonly #abort = new AbortController();
  readonly #context: CallContext;
  #responded = false;
  #finished = false;
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly headers: IncomingHttpHeaders,
    readonly route: Route,
    readonly options: GrpcServerOptions,
    now: number,
    shutdown: AbortSignal,
  ) {
    const timeoutMs = parseGrpcTimeout(headerValue(headers["grpc-timeout"]));
    const signal = AbortSignal.any([this.#abort.signal, shutdown]);
    this.#context = createCallContext({
      header: (name) => headerValue(headers[name]),
      signal,
      timeoutMs,
      protocol: "grpc",
      peer: stream.session?.socket?.remoteAddress ?? "",
      now,
    });
    if (timeoutMs !== undefined) {
      this.#deadlineTimer = setTimeout(() => {
        this.#abort.abort(new Error("deadline exceeded"));
        this.#finish(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");
      }, timeoutMs);
    }
    stream.on("close", () => {
      clearTimeout(this.#deadlineTimer);
      this.#abort.abort(new Error("client went away"));
    });
  }

  async run(): Promise<void> {
    const { route, stream } = this;
    const decoder = createFrameDecoder({
      maxMessageSize: this.options.maxMessageSize,
      encoding: headerValue(this.headers["grpc-encoding"]),
    });
    const input = route.method.input;
    const requests = createAsyncQueue<Message>();
    let received = 0;
    stream.on("data", (chunk: Buffer) => {
      if (requests.ended) return;
      try {
        for (const bytes of decoder.push(chunk)) {
          received++;
          requests.push(fromBinary(input, bytes));
        }
      } catch (err) {
        const code = err instanceof FrameError ? err.grpcStatus : GrpcStatus.INVALID_ARGUMENT;
        const message = err instanceof FrameError ? err.message : `cannot decode ${input.typeName}`;
        requests.fail(new FrameError(code, message));
        this.#abort.abort(err);
        this.#finish(code, message);
      }
    });
    stream.on("end", () => {
      if (decoder.pending > 0) requests.fail(new FrameError(GrpcStatus.INTERNAL, "truncated gRPC frame"));
      else requests.end();
    });
    stream.on("aborted", () => requests.fail(new FrameError(GrpcStatus.CANCELLED, "client cancelled")));

    try {
      if (route.kind === "bidi_streaming") {
        await this.#writeAll(route.handle(requests, this.#context));
      } else {
        let request: Message | undefined;
        for await (const r of requests) {
          if (request) throw new FrameError(GrpcStatus.UNIMPLEMENTED, "expected exactly one request message");
          request = r;
        }
        if (!request || received !== 1)
          throw new FrameError(GrpcStatus.INTERNAL, "expected one request message");
        if (route.kind === "unary") await this.#writeAll(oneOf(await route.handle(request, this.#context)));
        else await this.#writeAll(route.handle(request, this.#context));
      }
      this.#finish(GrpcStatus.OK, "");
    } catch (err) {
      if (err instanceof FrameError) this.#finish(err.grpcStatus, err.message);
      else if (this.#abort.signal.aborted) this.#finish(GrpcStatus.CANCELLED, "cancelled");
      else if (err instanceof ConnectError) {
        // connect-es Code values are the gRPC status numbers.
        this.options.logger.warn({ err, path: route.method.name }, "handler failed");
        this.#finish(err.code, err.rawMessage);
      } else {
        this.options.logger.error({ err, path: route.method.name }, "handler failed");
        this.#finish(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
      }
    }
  }

  async #writeAll(responses: AsyncIterable<unknown>): Promise<void> {
    const output = this.route.method.output;
    for await (const response of responses) {
      if (this.#finished || this.stream.destroyed) return;
      this.#respondHeaders();
      const frame = encodeFrame(toBinary(output, response as Message));
      if (!this.stream.write(frame)) await this.#drained();
    }
  }

  #respondHeaders(): void {
    if (this.#responded) return;
    this.#responded = true;
    this.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
    });
  }

  #finish(code: number, message: string): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#deadlineTimer);
    const { stream } = this;
    if (stream.destroyed || stream.closed) return;
    if (!this.#responded) {
      this.#responded = true;
      trailersOnly(stream, code, message);
      return;
    }
    const trailers: Record<string, string> = { "grpc-status": String(code) };
    if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
    stream.once("wantTrailers", () => {
      if (!stream.destroyed) stream.sendTrailers(trailers);
    });
    stream.end();
  }
}

async function* oneOf<T>(value: T): AsyncIterable<T> {
  yield value;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
