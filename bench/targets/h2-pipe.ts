/**
 * A lean HTTP/2 (h2c) gRPC client for the proxy generators, on one Bun socket: Bun's node:http2 client spends
 * about as much CPU per call as the proxy itself (one stream object, listeners and a socket flush per call), which
 * on two shared cores takes the CPU the proxy would use. Here a call is a HEADERS frame of indexed header fields
 * and one DATA frame, every frame of an event-loop turn goes out in one write, and the response is read from its
 * DATA frames.
 *
 * What it leaves out, on purpose: it never decodes the response headers (no HPACK decoder), so it does not read
 * grpc-status; a unary call succeeds when its one response message arrives, a streaming call when the stream
 * ends. RocketMQ's API puts every business result in the message's Status, which the callers check. Stream and
 * connection flow control is honoured both ways.
 */
import type { Socket } from "bun";
import { MessagingService } from "../../proto/v2.ts";
import type { RpcTransport } from "./rpc.ts";

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FrameType = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
} as const;
const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8 } as const;
const Setting = {
  HEADER_TABLE_SIZE: 1,
  MAX_CONCURRENT_STREAMS: 3,
  INITIAL_WINDOW_SIZE: 4,
  MAX_FRAME_SIZE: 5,
} as const;
/** What we let the server send before a WINDOW_UPDATE: per stream, and for the connection (topped up). */
const RECEIVE_WINDOW = 16 * 1024 * 1024;
const CONNECTION_WINDOW = 1 << 30;

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1), first byte OR-ed with `pattern`. */
function hpackInt(value: number, prefixBits: number, pattern: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [pattern | value];
  const out = [pattern | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

function hpackString(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...hpackInt(bytes.length, 7, 0), ...bytes];
}

/**
 * HPACK for the request headers, as gRPC clients do it: each header is sent once as a literal with incremental
 * indexing and by its dynamic-table index from then on, so the server decodes a handful of bytes per call. Only
 * inserts, never evicts (the few entries stay far below the 4096-byte table); a server that allows a smaller
 * table gets literals that are never indexed.
 */
export class HeaderEncoder {
  /** Newest first, as HPACK numbers them (62 = newest). */
  private readonly table: string[] = [];
  private size = 0;

  constructor(private readonly maxTableSize = 4096) {}

  /** `staticName`: index of the header's name in the static table, or 0 for a new name. */
  private field(out: number[], staticName: number, name: string, value: string): void {
    const key = `${name}\u0000${value}`;
    const at = this.table.indexOf(key);
    if (at >= 0) {
      out.push(...hpackInt(62 + at, 7, 0x80));
      return;
    }
    const entrySize = name.length + value.length + 32;
    const index = this.size + entrySize <= this.maxTableSize;
    const pattern = index ? 0x40 : 0x00;
    out.push(...hpackInt(staticName, index ? 6 : 4, pattern));
    if (staticName === 0) out.push(...hpackString(name));
    out.push(...hpackString(value));
    if (index) {
      this.table.unshift(key);
      this.size += entrySize;
    }
  }

  block(path: string, authority: string): Uint8Array {
    const out = [0x83, 0x86]; // :method POST, :scheme http (static 3 and 6)
    this.field(out, 4, ":path", path);
    this.field(out, 1, ":authority", authority);
    this.field(out, 31, "content-type", "application/grpc");
    this.field(out, 0, "te", "trailers");
    return Uint8Array.from(out);
  }
}

interface Stream {
  id: number;
  method: string;
  /** Request bytes (gRPC-framed) not yet sent. */
  body: Uint8Array;
  sendWindow: number;
  buffered: Uint8Array;
  messages: number;
  onMessage(m: Uint8Array): void;
  resolve(): void;
  reject(err: Error): void;
}

/** Owns a socket, hence a class with close(). */
export class H2Pipe implements RpcTransport {
  private socket: Socket<undefined> | undefined;
  private out = new Uint8Array(1 << 20);
  private outLength = 0;
  private flushScheduled = false;
  private readonly streams = new Map<number, Stream>();
  /** Streams waiting for a concurrency slot, and streams with request bytes waiting for window. */
  private readonly waitingOpen: Stream[] = [];
  private readonly waitingData: Stream[] = [];
  private nextId = 1;
  private inbox = new Uint8Array(0);
  private connectionSendWindow = 65_535;
  private connectionReceived = 0;
  private peerInitialWindow = 65_535;
  private peerMaxFrame = 16_384;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private failure: Error | undefined;
  private encoder = new HeaderEncoder();

  private constructor(private readonly authority: string) {}

  static async open(port: number, host = "127.0.0.1"): Promise<H2Pipe> {
    const pipe = new H2Pipe(`${host}:${port}`);
    pipe.socket = await Bun.connect<undefined>({
      hostname: host,
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => pipe.receive(chunk),
        drain: () => pipe.flush(),
        close: () => pipe.fail(new Error(`h2 connection to ${pipe.authority} closed`)),
        error: (_s, err) => pipe.fail(err),
      },
    });
    pipe.queue(PREFACE);
    const settings = new Uint8Array(12);
    const v = new DataView(settings.buffer);
    v.setUint16(0, 2); // ENABLE_PUSH = 0
    v.setUint32(2, 0);
    v.setUint16(6, Setting.INITIAL_WINDOW_SIZE);
    v.setUint32(8, RECEIVE_WINDOW);
    pipe.frame(FrameType.SETTINGS, 0, 0, settings);
    pipe.windowUpdate(0, CONNECTION_WINDOW - 65_535);
    return pipe;
  }

  unary(method: string, request: Uint8Array): Promise<Uint8Array> {
    let response: Uint8Array | undefined;
    return this.call(method, request, (m) => {
      response = m;
    }).then(() => {
      if (!response) throw new Error(`${method}: the call ended without a response message`);
      return response;
    });
  }

  serverStream(method: string, request: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void> {
    return this.call(method, request, onMessage);
  }

  private call(method: string, request: Uint8Array, onMessage: (m: Uint8Array) => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const body = new Uint8Array(5 + request.length);
    new DataView(body.buffer).setUint32(1, request.length);
    body.set(request, 5);
    return new Promise((resolve, reject) => {
      const s: Stream = {
        id: 0,
        method,
        body,
        sendWindow: 0,
        buffered: new Uint8Array(0),
        messages: 0,
        onMessage,
        resolve,
        reject,
      };
      if (this.streams.size >= this.peerMaxStreams) this.waitingOpen.push(s);
      else this.openStream(s);
    });
  }

  private openStream(s: Stream): void {
    s.id = this.nextId;
    this.nextId += 2;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(s.id, s);
    const block = this.encoder.block(`/${MessagingService.typeName}/${s.method}`, this.authority);
    this.frame(FrameType.HEADERS, Flag.END_HEADERS, s.id, block);
    if (!this.sendData(s)) this.waitingData.push(s);
  }

  /** Sends what the stream and connection windows allow; the rest waits for WINDOW_UPDATE. */
  private sendData(s: Stream): boolean {
    while (s.body.length > 0) {
      const n = Math.min(s.body.length, s.sendWindow, this.connectionSendWindow, this.peerMaxFrame);
      if (n <= 0) return false;
      const last = n === s.body.length;
      this.frame(FrameType.DATA, last ? Flag.END_STREAM : 0, s.id, s.body.subarray(0, n));
      s.body = s.body.subarray(n);
      s.sendWindow -= n;
      this.connectionSendWindow -= n;
    }
    return true;
  }

  private sendWaiting(): void {
    for (let i = 0; i < this.waitingData.length; ) {
      if (this.sendData(this.waitingData[i]!)) this.waitingData.splice(i, 1);
      else i++;
    }
  }

  private frame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    const head = new Uint8Array(9);
    const v = new DataView(head.buffer);
    v.setUint32(0, payload.length << 8);
    head[3] = type;
    head[4] = flags;
    v.setUint32(5, streamId);
    this.queue(head);
    this.queue(payload);
  }

  private windowUpdate(streamId: number, increment: number): void {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, increment);
    this.frame(FrameType.WINDOW_UPDATE, 0, streamId, p);
  }

  private queue(bytes: Uint8Array): void {
    if (this.outLength + bytes.length > this.out.length) {
      const grown = new Uint8Array(Math.max(this.out.length * 2, this.outLength + bytes.length));
      grown.set(this.out.subarray(0, this.outLength));
      this.out = grown;
    }
    this.out.set(bytes, this.outLength);
    this.outLength += bytes.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.socket || this.outLength === 0) return;
    const written = this.socket.write(this.out.subarray(0, this.outLength));
    if (written < 0) {
      this.fail(new Error(`h2 connection to ${this.authority} closed`));
      return;
    }
    this.out.copyWithin(0, written, this.outLength);
    this.outLength -= written;
  }

  private receive(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.inbox.length > 0) {
      buf = new Uint8Array(this.inbox.length + chunk.length);
      buf.set(this.inbox);
      buf.set(chunk, this.inbox.length);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    while (buf.length - at >= 9) {
      const length = view.getUint32(at) >>> 8;
      if (buf.length - at - 9 < length) break;
      const type = buf[at + 3]!;
      const flags = buf[at + 4]!;
      const streamId = view.getUint32(at + 5) & 0x7fffffff;
      this.onFrame(type, flags, streamId, buf.subarray(at + 9, at + 9 + length));
      at += 9 + length;
    }
    this.inbox = at === buf.length ? new Uint8Array(0) : buf.slice(at);
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    switch (type) {
      case FrameType.DATA: {
        this.connectionReceived += payload.length;
        if (this.connectionReceived > CONNECTION_WINDOW / 2) {
          this.windowUpdate(0, this.connectionReceived);
          this.connectionReceived = 0;
        }
        const s = this.streams.get(streamId);
        if (!s) return;
        const pad = flags & Flag.PADDED ? payload[0]! : 0;
        this.onData(s, flags & Flag.PADDED ? payload.subarray(1, payload.length - pad) : payload);
        if (flags & Flag.END_STREAM) this.end(s);
        return;
      }
      case FrameType.HEADERS: {
        // Response headers and trailers are not decoded (see the file comment); only the end of the stream counts.
        const s = this.streams.get(streamId);
        if (s && flags & Flag.END_STREAM) this.end(s);
        return;
      }
      case FrameType.RST_STREAM: {
        const s = this.streams.get(streamId);
        if (s)
          this.finish(s, new Error(`stream ${streamId} reset by the server (code ${view.getUint32(0)})`));
        return;
      }
      case FrameType.SETTINGS: {
        if (flags & Flag.ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const id = view.getUint16(i);
          const value = view.getUint32(i + 2);
          if (id === Setting.INITIAL_WINDOW_SIZE) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) s.sendWindow += delta;
          } else if (id === Setting.MAX_FRAME_SIZE) this.peerMaxFrame = value;
          else if (id === Setting.MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
          // A server announces a smaller table in its first SETTINGS: from then on, literals that are never indexed.
          else if (id === Setting.HEADER_TABLE_SIZE && value < 4096) this.encoder = new HeaderEncoder(0);
        }
        this.frame(FrameType.SETTINGS, Flag.ACK, 0, new Uint8Array(0));
        this.sendWaiting();
        return;
      }
      case FrameType.PING:
        if (!(flags & Flag.ACK)) this.frame(FrameType.PING, Flag.ACK, 0, payload.slice());
        return;
      case FrameType.GOAWAY:
        this.fail(new Error(`the server sent GOAWAY (code ${view.getUint32(4)})`));
        return;
      case FrameType.WINDOW_UPDATE: {
        const increment = view.getUint32(0) & 0x7fffffff;
        if (streamId === 0) this.connectionSendWindow += increment;
        else {
          const s = this.streams.get(streamId);
          if (s) s.sendWindow += increment;
        }
        this.sendWaiting();
        return;
      }
      default:
        return; // PRIORITY, CONTINUATION (of headers we do not read), unknown types
    }
  }

  /** gRPC messages out of DATA payloads (5-byte prefix; a message may straddle frames). */
  private onData(s: Stream, data: Uint8Array): void {
    let buf = data;
    if (s.buffered.length > 0) {
      buf = new Uint8Array(s.buffered.length + data.length);
      buf.set(s.buffered);
      buf.set(data, s.buffered.length);
    }
    let at = 0;
    while (buf.length - at >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset + at, 5).getUint32(1);
      if (buf.length - at - 5 < len) break;
      if (buf[at] !== 0) {
        this.finish(s, new Error("compressed gRPC message (none was asked for)"));
        return;
      }
      s.messages++;
      try {
        s.onMessage(buf.subarray(at + 5, at + 5 + len));
      } catch (err) {
        this.finish(s, err as Error);
        return;
      }
      at += 5 + len;
    }
    s.buffered = at === buf.length ? new Uint8Array(0) : buf.slice(at);
  }

  private end(s: Stream): void {
    this.finish(
      s,
      s.buffered.length > 0 ? new Error(`stream ${s.id} ended inside a gRPC message`) : undefined,
    );
  }

  private finish(s: Stream, err: Error | undefined): void {
    if (!this.streams.delete(s.id)) return;
    const waiting = this.waitingData.indexOf(s);
    if (waiting >= 0) this.waitingData.splice(waiting, 1);
    if (err) s.reject(err);
    else s.resolve();
    const next = this.waitingOpen.shift();
    if (next) this.openStream(next);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const s of [...this.streams.values(), ...this.waitingOpen]) s.reject(err);
    this.streams.clear();
    this.waitingOpen.length = 0;
  }

  /** Ends the connection at once; calls in flight fail. */
  close(): void {
    this.fail(new Error("closed"));
    this.socket?.end();
    this.socket = undefined;
  }
}
