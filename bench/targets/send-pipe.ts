/**
 * A lean remoting sender for load generators, built on proto/remoting's codecs: each request kind is encoded once
 * as a template frame (ROCKETMQ binary header), and every send copies the template into a write buffer and patches
 * its opaque and its UNIQ_KEYs. Frames issued in one event-loop turn go out in one socket write, and responses are
 * matched by reading code and opaque straight from the ROCKETMQ header (a full decode only for a failure). The
 * broker still parses every request in full: only the client's per-request work is cut down, so that the
 * generator's CPU stays below the server's.
 */
import type { Socket } from "bun";
import { MqError } from "../../proto/error.ts";
import {
  createFrameDecoder,
  createRequest,
  decodeFrame,
  encodeFrame,
  type HeaderValues,
  SerializeType,
} from "../../proto/remoting/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { findAll, ID_PLACEHOLDER, IdStamper } from "./unique-ids.ts";

/** A pre-encoded request; `uniqAt` are the offsets of the 32-character UNIQ_KEY values to make unique per send. */
export interface FrameTemplate {
  frame: Uint8Array;
  uniqAt: number[];
  /** Messages the request carries (1, or the batch size). */
  messages: number;
}

/** Offset of the opaque in a frame with a ROCKETMQ header: length, header-length word, code, language, version. */
const OPAQUE_AT = 4 + 4 + 2 + 1 + 2;

export function buildTemplate(
  code: number,
  extFields: HeaderValues,
  body: Uint8Array,
  messages: number,
): FrameTemplate {
  const frame = encodeFrame(createRequest(code, extFields, body), "ROCKETMQ");
  return { frame, uniqAt: findAll(frame, ID_PLACEHOLDER), messages };
}

export interface SendPipeOptions {
  /** "host:port" of the broker. */
  addr: string;
  /** Goes into every UNIQ_KEY (8 hex digits), so that several generator processes never repeat a key. */
  clientTag: number;
  /** Called for every successful response with the messages its request carried. */
  onAcked(messages: number): void;
  /** Called once for the first failure (a non-SUCCESS response, a closed connection). */
  onError(err: Error): void;
}

/** Owns one socket, hence a class with close(). */
export class SendPipe {
  private socket: Socket<undefined> | undefined;
  private readonly decoder = createFrameDecoder({ maxFrameSize: 16 * 1024 * 1024 });
  private readonly inFlight = new Map<number, number>();
  private out = new Uint8Array(1 << 20);
  private outLength = 0;
  private flushScheduled = false;
  private opaque = 0;
  private failed = false;
  private readonly ids: IdStamper;

  private constructor(private readonly options: SendPipeOptions) {
    this.ids = new IdStamper(options.clientTag);
  }

  static async open(options: SendPipeOptions): Promise<SendPipe> {
    const pipe = new SendPipe(options);
    const [hostname, port] = options.addr.split(":");
    pipe.socket = await Bun.connect<undefined>({
      hostname: hostname!,
      port: Number(port),
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => pipe.receive(chunk),
        drain: () => pipe.flush(),
        close: () =>
          pipe.fail(new MqError(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED, `${options.addr} closed`)),
        error: (_s, err) => pipe.fail(err),
      },
    });
    return pipe;
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.inFlight.size;
  }

  send(t: FrameTemplate): void {
    if (this.failed) return;
    const size = t.frame.length;
    if (this.outLength + size > this.out.length) {
      const grown = new Uint8Array(Math.max(this.out.length * 2, this.outLength + size));
      grown.set(this.out.subarray(0, this.outLength));
      this.out = grown;
    }
    const at = this.outLength;
    this.out.set(t.frame, at);
    this.outLength += size;
    this.opaque = this.opaque >= 0x7fffffff ? 1 : this.opaque + 1;
    new DataView(this.out.buffer, at, size).setInt32(OPAQUE_AT, this.opaque);
    for (const u of t.uniqAt) this.ids.stamp(this.out, at + u);
    this.inFlight.set(this.opaque, t.messages);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.socket || this.outLength === 0 || this.failed) return;
    const written = this.socket.write(this.out.subarray(0, this.outLength));
    if (written < 0) {
      this.fail(new MqError(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED, `${this.options.addr} closed`));
      return;
    }
    // What the socket did not take waits for drain().
    this.out.copyWithin(0, written, this.outLength);
    this.outLength -= written;
  }

  private receive(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of frames) {
      const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
      let code: number;
      let opaque: number;
      if (view.getUint32(0) >>> 24 === SerializeType.ROCKETMQ) {
        code = view.getInt16(4);
        opaque = view.getInt32(4 + 5);
      } else {
        const cmd = decodeFrame(f);
        code = cmd.code;
        opaque = cmd.opaque;
      }
      const messages = this.inFlight.get(opaque);
      if (messages === undefined) continue;
      this.inFlight.delete(opaque);
      if (code !== ResponseCode.SUCCESS) {
        const cmd = decodeFrame(f);
        this.fail(new MqError(code, `send refused by ${this.options.addr}: ${cmd.remark ?? `code ${code}`}`));
        return;
      }
      this.options.onAcked(messages);
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError(err);
  }

  close(): void {
    this.failed = true;
    this.socket?.end();
    this.socket = undefined;
  }
}
