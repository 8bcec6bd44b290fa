import { gunzipSync } from "node:zlib";

/**
 * gRPC's message framing over HTTP/2 DATA: 1 flag byte (bit 0 = compressed), a 4-byte big-endian length, then
 * the message. Frames may straddle DATA chunks and one chunk may hold several frames.
 */
export const frameHeaderSize = 5;

export function encodeFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frameHeaderSize + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, frameHeaderSize);
  return out;
}

/** Why a frame was refused; the server answers with the matching grpc-status. */
export class FrameError extends Error {
  constructor(
    readonly grpcStatus: number,
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

export interface FrameDecoderOptions {
  /** Largest message accepted (grpcMaxInboundMessageSize). */
  maxMessageSize: number;
  /** The request's grpc-encoding; only identity and gzip are understood. */
  encoding?: string;
}

/**
 * Incremental decoder: `push()` each DATA chunk and get back the complete messages it finished. Throws
 * FrameError (RESOURCE_EXHAUSTED for an oversize message, UNIMPLEMENTED/INTERNAL for compression problems).
 */
export function createFrameDecoder(options: FrameDecoderOptions): {
  push(chunk: Uint8Array): Uint8Array[];
  readonly pending: number;
} {
  const chunks: Buffer[] = [];
  let total = 0;
  let flags = 0;
  let expected: number | undefined; // length of the message being assembled, once its header is read
  const encoding = options.encoding ?? "identity";

  // Removes n buffered bytes (n <= total), copying only when they span chunks.
  const consume = (n: number): Buffer => {
    total -= n;
    const first = chunks[0];
    if (first.byteLength > n) {
      chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.byteLength === n) {
      chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = chunks[0];
      const k = Math.min(c.byteLength, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.byteLength) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    return out;
  };

  return {
    get pending() {
      return total;
    },
    push(chunk) {
      if (chunk.byteLength > 0) {
        chunks.push(
          Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
        total += chunk.byteLength;
      }
      const out: Uint8Array[] = [];
      for (;;) {
        if (expected === undefined) {
          if (total < frameHeaderSize) break;
          const head = consume(frameHeaderSize);
          flags = head[0];
          const length = head.readUInt32BE(1);
          if (length > options.maxMessageSize)
            throw new FrameError(
              8,
              `message of ${length} bytes exceeds the limit of ${options.maxMessageSize}`,
            );
          expected = length;
        }
        if (total < expected) break;
        let message: Uint8Array = expected === 0 ? new Uint8Array(0) : consume(expected);
        expected = undefined;
        if (flags & 1) message = gunzip(message, encoding, options.maxMessageSize);
        out.push(message);
      }
      return out;
    },
  };
}

function gunzip(message: Uint8Array, encoding: string, maxMessageSize: number): Uint8Array {
  if (encoding === "identity") throw new FrameError(13, "compressed frame without grpc-encoding");
  if (encoding !== "gzip") throw new FrameError(12, `grpc-encoding ${encoding} is not supported`);
  try {
    return gunzipSync(message, { maxOutputLength: maxMessageSize });
  } catch (err) {
    throw new FrameError(13, `cannot gunzip a message: ${(err as Error).message}`);
  }
}
