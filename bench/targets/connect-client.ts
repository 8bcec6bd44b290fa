/**
 * The Connect protocol over HTTP/1.1 for load generators, on Bun's fetch (keep-alive connections, one request per
 * connection at a time, as browsers do): unary calls as `application/proto` POSTs, server streaming as
 * `application/connect+proto` envelopes ending in an end-stream envelope (flag 0x02) with an optional error.
 */
import { MessagingService } from "../../proto/v2.ts";
import { grpcFrame } from "./grpc-client.ts";
import type { RpcTransport } from "./rpc.ts";

export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectError";
  }
}

const END_STREAM = 0x02;

export class ConnectClient implements RpcTransport {
  private readonly base: string;
  private aborter = new AbortController();

  constructor(port: number, host = "127.0.0.1") {
    this.base = `http://${host}:${port}/${MessagingService.typeName}/`;
  }

  async unary(method: string, request: Uint8Array): Promise<Uint8Array> {
    const r = await fetch(this.base + method, {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
      body: request as Uint8Array<ArrayBuffer>,
      signal: this.aborter.signal,
    });
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (r.status !== 200)
      throw new ConnectError(`${method}: HTTP ${r.status} ${new TextDecoder().decode(bytes)}`);
    return bytes;
  }

  async serverStream(method: string, request: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void> {
    const r = await fetch(this.base + method, {
      method: "POST",
      headers: { "content-type": "application/connect+proto", "connect-protocol-version": "1" },
      body: grpcFrame(request) as Uint8Array<ArrayBuffer>,
      signal: this.aborter.signal,
    });
    const bytes = new Uint8Array(await r.arrayBuffer());
    if (r.status !== 200)
      throw new ConnectError(`${method}: HTTP ${r.status} ${new TextDecoder().decode(bytes)}`);
    // Envelopes share gRPC's 5-byte framing; the end-stream one has flag 0x02 and a JSON body.
    let ended = false;
    let error: string | undefined;
    for (let at = 0; at < bytes.length; ) {
      const flags = bytes[at]!;
      const len = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
      const payload = bytes.subarray(at + 5, at + 5 + len);
      if (flags & END_STREAM) {
        ended = true;
        const end = JSON.parse(new TextDecoder().decode(payload) || "{}") as {
          error?: { code: string; message?: string };
        };
        if (end.error) error = `${end.error.code} ${end.error.message ?? ""}`;
      } else onMessage(payload);
      at += 5 + len;
    }
    if (error) throw new ConnectError(`${method}: ${error}`);
    if (!ended) throw new ConnectError(`${method}: stream ended without an end-stream envelope`);
  }

  /** Aborts every call in flight (a held long poll included). */
  close(): void {
    this.aborter.abort();
    this.aborter = new AbortController();
  }
}
