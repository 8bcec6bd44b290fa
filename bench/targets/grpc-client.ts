/**
 * A lean gRPC client for load generators: node:http2 (h2c) with gRPC's 5-byte message framing, the generated
 * apache.rocketmq.v2 schemas for (de)serialization, one HTTP/2 session, many calls in flight on it. It does what
 * a gRPC library does on the wire (POST, content-type application/grpc, te: trailers, grpc-status in the
 * trailers) without a per-call interceptor pipeline.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from "node:http2";
import { MessagingService } from "../../proto/v2.ts";
import { queryRoute, type RpcTransport } from "./rpc.ts";

export class GrpcStatusError extends Error {
  constructor(
    readonly grpcStatus: number,
    message: string,
  ) {
    super(`gRPC status ${grpcStatus}: ${message}`);
    this.name = "GrpcStatusError";
  }
}

/** gRPC framing: flag byte 0 (not compressed), big-endian length, message. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** Splits gRPC frames out of DATA chunks (a frame may straddle chunks). */
export function createGrpcFrameReader(onMessage: (m: Uint8Array) => void): (chunk: Uint8Array) => void {
  let buf: Uint8Array = new Uint8Array(0);
  return (chunk) => {
    if (buf.length === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
    }
    let at = 0;
    while (buf.length - at >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset + at, 5).getUint32(1);
      if (buf.length - at - 5 < len) break;
      if (buf[at] !== 0) throw new Error("compressed gRPC frame (not requested)");
      onMessage(buf.subarray(at + 5, at + 5 + len));
      at += 5 + len;
    }
    buf = at === buf.length ? new Uint8Array(0) : buf.slice(at);
  };
}

/** One HTTP/2 session to a proxy's gRPC port. Owns the session, hence a class with close(). */
export class GrpcChannel implements RpcTransport {
  private readonly session: ClientHttp2Session;
  private readonly headers: Record<string, string>;

  constructor(port: number, metadata: Record<string, string> = {}, host = "127.0.0.1") {
    this.session = connect(`http://${host}:${port}`, {
      settings: { initialWindowSize: 1 << 20, enablePush: false },
    });
    // An unhandled session error would be thrown at the process; calls see it through their streams.
    this.session.on("error", () => {});
    this.headers = {
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
      te: "trailers",
      ...metadata,
    };
  }

  /** Resolves once the session is connected (or rejects when it fails). */
  ready(): Promise<void> {
    if (!this.session.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.session.once("connect", () => resolve());
      this.session.once("error", reject);
    });
  }

  unary(method: string, request: Uint8Array): Promise<Uint8Array> {
    let response: Uint8Array | undefined;
    return this.call(method, request, (m) => {
      response = m;
    }).then(() => {
      if (!response) throw new GrpcStatusError(13, `${method}: no response message`);
      return response;
    });
  }

  serverStream(method: string, request: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void> {
    return this.call(method, request, onMessage);
  }

  private call(method: string, body: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void> {
    const stream: ClientHttp2Stream = this.session.request({
      ...this.headers,
      [constants.HTTP2_HEADER_PATH]: `/${MessagingService.typeName}/${method}`,
    });
    return new Promise((resolve, reject) => {
      let status: string | undefined;
      let message = "";
      const read = createGrpcFrameReader(onMessage);
      const grpcStatusOf = (h: Record<string, unknown>) => {
        if (h["grpc-status"] !== undefined) {
          status = String(h["grpc-status"]);
          message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      stream.on("response", grpcStatusOf);
      stream.on("trailers", grpcStatusOf);
      stream.on("data", (chunk: Uint8Array) => {
        try {
          read(chunk);
        } catch (err) {
          stream.close();
          reject(err);
        }
      });
      stream.on("error", reject);
      stream.on("close", () => {
        if (status === "0") resolve();
        else reject(new GrpcStatusError(Number(status ?? 2), message || `stream closed (${stream.rstCode})`));
      });
      stream.end(grpcFrame(body));
    });
  }

  /** Ends the session at once: calls in flight (a held long poll included) fail. */
  close(): void {
    this.session.destroy();
  }
}

/** True once the proxy answers QueryRoute for `topic` (with any business status): it serves. */
export async function grpcQueryRoute(port: number, topic: string): Promise<boolean> {
  const channel = new GrpcChannel(port);
  try {
    await channel.ready();
    const r = await queryRoute(channel, topic, port);
    return r.status !== undefined;
  } finally {
    channel.close();
  }
}
