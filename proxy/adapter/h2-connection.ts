import { setImmediate } from "node:timers";
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_SIZE,
  ErrorCode,
  encodeFrame,
  Flag,
  FRAME_HEADER_SIZE,
  FrameType,
  MAX_WINDOW_SIZE,
  Setting,
  settingsPayload,
  uint32,
  uint32Payload,
  writeFrameHeader,
} from "./h2-frame.ts";
import { type HeaderList, HpackDecoder, HpackError } from "./hpack.ts";
import type { HuffmanTree } from "./hpack-huffman.ts";

/**
 * The server side of one cleartext HTTP/2 connection (h2c with prior knowledge, RFC 9113), as much of it as a
 * gRPC server needs: streams, HPACK, flow control both ways, SETTINGS, PING, RST_STREAM, GOAWAY. Frames for all
 * streams are gathered and written to the socket once per event-loop turn, so many small calls cost one write.
 * Its streams carry raw bytes; gRPC framing and statuses are the caller's (grpc-server.ts).
 */
export interface H2Transport {
  /**
   * Writes what it can now: bytes accepted (possibly fewer than given), or -1 once the socket is closed. `data`
   * is the connection's reused output buffer: a transport that keeps bytes for later must copy them.
   */
  write(data: Uint8Array): number;
  end(): void;
}

export interface H2ConnectionOptions {
  /** SETTINGS_INITIAL_WINDOW_SIZE this side advertises: how much a client may send on a stream unread. */
  initialWindowSize: number;
  /** The connection-level receive window (replenished as data is read). */
  connectionWindowSize: number;
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: larger request header lists are refused. */
  maxHeaderListSize: number;
  /** Stream writes report backpressure while more than this many bytes wait to go out. */
  highWaterMark: number;
  /** A new request stream, its headers complete. Set the stream's handlers before returning. */
  onStream(stream: H2Stream): void;
  /** A connection-level protocol error (the connection is closed); for logs. */
  onError(err: Error): void;
  huffman?: HuffmanTree;
}

/** One request stream. Handlers are called synchronously as frames arrive. */
export class H2Stream {
  /** Request header fields in order, names lowercase as HTTP/2 requires. */
  readonly fields: HeaderList;
  /** Sum of name + value + 32 over the request headers (RFC 9113 6.5.2). */
  readonly headerListSize: number;
  onData: ((chunk: Uint8Array) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** The stream is gone before this side ended it: reset by the client, or the connection closed. */
  onAbort: (() => void) | undefined;

  /** @internal */ queue: Uint8Array[] = [];
  /** @internal */ queuedBytes = 0;
  /** @internal */ trailers: Uint8Array | undefined;
  /** @internal */ sendWindow: number;
  /** @internal */ recvWindow: number;
  /** @internal */ recvUnacked = 0;
  /** @internal */ remoteEnded = false;
  /** @internal */ localEnded = false;
  /** @internal */ closed = false;
  /** @internal */ drainWaiters: (() => void)[] = [];
  #headersSent = false;

  constructor(
    readonly id: number,
    fields: HeaderList,
    headerListSize: number,
    private readonly connection: H2Connection,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.fields = fields;
    this.headerListSize = headerListSize;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** The first value of a request header; a scan beats building a map for the few a call reads. */
  header(name: string): string | undefined {
    for (const [n, v] of this.fields) if (n === name) return v;
    return undefined;
  }

  get headersSent(): boolean {
    return this.#headersSent;
  }

  /** Response headers (a HEADERS frame without END_STREAM); `block` is HPACK-encoded. */
  respond(block: Uint8Array): void {
    if (this.closed || this.#headersSent) return;
    this.#headersSent = true;
    this.connection.sendHeaders(this.id, block, false);
  }

  /** Queues DATA; false when the caller should wait for `drained()` before writing more. */
  write(data: Uint8Array): boolean {
    if (this.closed || this.trailers) return false;
    if (data.byteLength > 0) {
      this.queue.push(data);
      this.queuedBytes += data.byteLength;
      this.connection.pump(this);
    }
    return this.queuedBytes + this.connection.backlog < this.connection.highWaterMark;
  }

  /** Resolves once queued data has gone out (or the stream closed). */
  drained(): Promise<void> {
    if (this.closed || this.queuedBytes + this.connection.backlog < this.connection.highWaterMark)
      return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.connection.waitDrain(this);
    });
  }

  /**
   * Ends the response with a header block and END_STREAM: trailers after the queued data, or the only headers
   * of a trailers-only response if `respond` was never called.
   */
  end(block: Uint8Array): void {
    if (this.closed || this.trailers) return;
    this.#headersSent = true;
    this.trailers = block;
    this.connection.pump(this);
  }

  /** Abandons the stream with RST_STREAM. */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.connection.resetStream(this, code);
  }
}

const MAX_STREAM_ID = 2 ** 31 - 1;
/** Output is written once it reaches this size, else at the end of the event-loop turn. */
const FLUSH_AT = 256 * 1024;
const OUT_INITIAL_SIZE = 64 * 1024;
/** After a write, an output buffer grown past this is dropped for a fresh one. */
const OUT_KEEP_SIZE = 1024 * 1024;

export class H2Connection {
  readonly highWaterMark: number;
  readonly #transport: H2Transport;
  readonly #options: H2ConnectionOptions;
  readonly #decoder: HpackDecoder;
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with queued data waiting for the peer to open a window. */
  readonly #blocked = new Set<H2Stream>();
  #input: Uint8Array | undefined;
  #prefaceSeen = false;
  /** HEADERS not yet ended by END_HEADERS: the stream, flags, and the block so far. */
  #continuing: { streamId: number; flags: number; chunks: Uint8Array[] } | undefined;
  #lastStreamId = 0;
  #peerInitialWindow = DEFAULT_WINDOW_SIZE;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #connSendWindow = DEFAULT_WINDOW_SIZE;
  #connRecvWindow: number;
  #connRecvUnacked = 0;
  /** Frames of this turn, written in place (header and payload) and reused after each write. */
  #out: Uint8Array = new Uint8Array(OUT_INITIAL_SIZE);
  #outBytes = 0;
  /** Streams with someone waiting in `drained()`. */
  readonly #waiting = new Set<H2Stream>();
  #unwritten: Uint8Array | undefined;
  #flushScheduled = false;
  #goingAway = false;
  #dead = false;
  #onIdle: (() => void) | undefined;

  constructor(transport: H2Transport, options: H2ConnectionOptions) {
    this.#transport = transport;
    this.#options = options;
    this.highWaterMark = options.highWaterMark;
    this.#decoder = new HpackDecoder(4096, options.huffman);
    this.#connRecvWindow = options.connectionWindowSize;
    this.#queue(
      encodeFrame(
        FrameType.SETTINGS,
        0,
        0,
        settingsPayload([
          [Setting.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
          [Setting.INITIAL_WINDOW_SIZE, options.initialWindowSize],
          [Setting.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
        ]),
      ),
    );
    if (options.connectionWindowSize > DEFAULT_WINDOW_SIZE)
      this.#queue(
        encodeFrame(
          FrameType.WINDOW_UPDATE,
          0,
          0,
          uint32Payload(options.connectionWindowSize - DEFAULT_WINDOW_SIZE),
        ),
      );
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  /** Bytes waiting for the socket. */
  get backlog(): number {
    return this.#outBytes + (this.#unwritten?.byteLength ?? 0);
  }

  /** Feeds bytes read from the socket. */
  receive(chunk: Uint8Array): void {
    if (this.#dead) return;
    let buf = chunk;
    if (this.#input) {
      const joined = new Uint8Array(this.#input.byteLength + chunk.byteLength);
      joined.set(this.#input, 0);
      joined.set(chunk, this.#input.byteLength);
      buf = joined;
      this.#input = undefined;
    }
    let at = 0;
    if (!this.#prefaceSeen) {
      const n = Math.min(buf.byteLength, CLIENT_PREFACE.byteLength);
      for (let i = 0; i < n; i++)
        if (buf[i] !== CLIENT_PREFACE[i]) {
          this.#fail(ErrorCode.PROTOCOL_ERROR, "not an HTTP/2 client preface");
          return;
        }
      if (n < CLIENT_PREFACE.byteLength) {
        this.#input = buf;
        return;
      }
      this.#prefaceSeen = true;
      at = CLIENT_PREFACE.byteLength;
    }
    while (!this.#dead && buf.byteLength - at >= FRAME_HEADER_SIZE) {
      const length = (buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2];
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        this.#fail(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes exceeds ${DEFAULT_MAX_FRAME_SIZE}`);
        return;
      }
      if (buf.byteLength - at < FRAME_HEADER_SIZE + length) break;
      const type = buf[at + 3];
      const flags = buf[at + 4];
      const streamId = uint32(buf, at + 5) & MAX_STREAM_ID;
      const payload = buf.subarray(at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + length);
      at += FRAME_HEADER_SIZE + length;
      this.#frame(type, flags, streamId, payload);
    }
    if (!this.#dead && at < buf.byteLength) this.#input = buf.subarray(at);
  }

  /** The socket accepts writes again. */
  drained(): void {
    if (this.#dead) return;
    this.#flush();
  }

  /** The socket closed: every open stream is aborted. */
  transportClosed(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#abortAll();
  }

  /** Graceful close: GOAWAY, no new streams; `onIdle` runs once the open ones are done. */
  goAway(onIdle: () => void): void {
    if (this.#dead) {
      onIdle();
      return;
    }
    if (!this.#goingAway) {
      this.#goingAway = true;
      this.#queue(encodeFrame(FrameType.GOAWAY, 0, 0, uint32Payload(this.#lastStreamId, ErrorCode.NO_ERROR)));
    }
    this.#onIdle = onIdle;
    this.#checkIdle();
  }

  /** Cuts the connection at once. */
  destroy(): void {
    if (this.#dead) return;
    this.#flush();
    this.#dead = true;
    this.#transport.end();
    this.#abortAll();
  }

  /** @internal */
  waitDrain(stream: H2Stream): void {
    this.#waiting.add(stream);
  }

  /** @internal */
  sendHeaders(streamId: number, block: Uint8Array, endStream: boolean): void {
    const max = this.#peerMaxFrameSize;
    const end = endStream ? Flag.END_STREAM : 0;
    if (block.byteLength <= max) {
      this.#frameOut(FrameType.HEADERS, end | Flag.END_HEADERS, streamId, block);
      return;
    }
    for (let off = 0; off < block.byteLength; off += max) {
      const part = block.subarray(off, off + max);
      const last = off + max >= block.byteLength;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      this.#frameOut(type, (off === 0 ? end : 0) | (last ? Flag.END_HEADERS : 0), streamId, part);
    }
  }

  /** @internal Sends what the windows allow of a stream's queue, then its trailers once the queue is empty. */
  pump(stream: H2Stream): void {
    if (stream.closed) return;
    while (stream.queue.length > 0 && stream.sendWindow > 0 && this.#connSendWindow > 0) {
      const chunk = stream.queue[0];
      const n = Math.min(chunk.byteLength, stream.sendWindow, this.#connSendWindow, this.#peerMaxFrameSize);
      if (n === chunk.byteLength) stream.queue.shift();
      else stream.queue[0] = chunk.subarray(n);
      stream.queuedBytes -= n;
      stream.sendWindow -= n;
      this.#connSendWindow -= n;
      this.#frameOut(FrameType.DATA, 0, stream.id, n === chunk.byteLength ? chunk : chunk.subarray(0, n));
    }
    if (stream.queue.length > 0) {
      this.#blocked.add(stream);
      return;
    }
    this.#blocked.delete(stream);
    if (stream.trailers && !stream.localEnded) {
      stream.localEnded = true;
      this.sendHeaders(stream.id, stream.trailers, true);
      // The request half may still be open (the call ended early): tell the client to stop sending.
      if (!stream.remoteEnded) this.#queue(rstFrame(stream.id, ErrorCode.NO_ERROR));
      this.#close(stream, false);
    }
  }

  /** @internal */
  resetStream(stream: H2Stream, code: number): void {
    this.#queue(rstFrame(stream.id, code));
    this.#close(stream, false);
  }

  #frame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    if (this.#continuing && type !== FrameType.CONTINUATION) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION");
      return;
    }
    switch (type) {
      case FrameType.DATA:
        this.#onData(flags, streamId, payload);
        return;
      case FrameType.HEADERS:
        this.#onHeaders(flags, streamId, payload);
        return;
      case FrameType.CONTINUATION:
        this.#onContinuation(flags, streamId, payload);
        return;
      case FrameType.RST_STREAM: {
        if (streamId === 0 || payload.byteLength !== 4) {
          this.#fail(ErrorCode.PROTOCOL_ERROR, "malformed RST_STREAM");
          return;
        }
        const stream = this.#streams.get(streamId);
        if (stream) this.#close(stream, true);
        return;
      }
      case FrameType.SETTINGS:
        this.#onSettings(flags, streamId, payload);
        return;
      case FrameType.PING:
        if (streamId !== 0 || payload.byteLength !== 8) {
          this.#fail(ErrorCode.PROTOCOL_ERROR, "malformed PING");
          return;
        }
        if ((flags & Flag.ACK) === 0) this.#frameOut(FrameType.PING, Flag.ACK, 0, payload.slice());
        return;
      case FrameType.WINDOW_UPDATE:
        this.#onWindowUpdate(streamId, payload);
        return;
      case FrameType.GOAWAY:
        // The client will open no new streams; the ones it has run to their end.
        return;
      case FrameType.PUSH_PROMISE:
        this.#fail(ErrorCode.PROTOCOL_ERROR, "a client may not push");
        return;
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113 5.5).
        return;
    }
  }

  #onData(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId === 0) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
      return;
    }
    const length = payload.byteLength;
    this.#connRecvWindow -= length;
    if (this.#connRecvWindow < 0) {
      this.#fail(ErrorCode.FLOW_CONTROL_ERROR, "the client overran the connection window");
      return;
    }
    // Read at once, so credited at once: the gRPC layer bounds what it keeps by the message size limit.
    this.#connRecvUnacked += length;
    if (this.#connRecvUnacked >= this.#options.connectionWindowSize / 2) {
      this.#queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, uint32Payload(this.#connRecvUnacked)));
      this.#connRecvWindow += this.#connRecvUnacked;
      this.#connRecvUnacked = 0;
    }
    const stream = this.#streams.get(streamId);
    if (!stream || stream.remoteEnded) {
      // A stream this side already closed (or reset): late frames are dropped.
      if (streamId > this.#lastStreamId) this.#fail(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
      return;
    }
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) {
      this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      stream.onAbort?.();
      return;
    }
    const data = unpad(flags, payload);
    if (data === undefined) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "bad DATA padding");
      return;
    }
    const ended = (flags & Flag.END_STREAM) !== 0;
    if (ended) stream.remoteEnded = true;
    else {
      stream.recvUnacked += length;
      if (stream.recvUnacked >= this.#options.initialWindowSize / 2) {
        this.#queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, stream.id, uint32Payload(stream.recvUnacked)));
        stream.recvWindow += stream.recvUnacked;
        stream.recvUnacked = 0;
      }
    }
    if (data.byteLength > 0) stream.onData?.(data);
    if (ended && !stream.closed) stream.onEnd?.();
  }

  #onHeaders(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId === 0 || streamId % 2 === 0) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}`);
      return;
    }
    let fragment = unpad(flags, payload);
    if (fragment === undefined) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "bad HEADERS padding");
      return;
    }
    if (flags & Flag.PRIORITY) {
      if (fragment.byteLength < 5) {
        this.#fail(ErrorCode.PROTOCOL_ERROR, "short HEADERS priority");
        return;
      }
      fragment = fragment.subarray(5);
    }
    if (flags & Flag.END_HEADERS) this.#onHeaderBlock(flags, streamId, fragment);
    else this.#continuing = { streamId, flags, chunks: [fragment.slice()] };
  }

  #onContinuation(flags: number, streamId: number, payload: Uint8Array): void {
    const c = this.#continuing;
    if (!c || c.streamId !== streamId) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "unexpected CONTINUATION");
      return;
    }
    c.chunks.push(payload.slice());
    const size = c.chunks.reduce((n, x) => n + x.byteLength, 0);
    // The block is decoded whole; bound it so a client cannot grow it forever.
    if (size > 2 * this.#options.maxHeaderListSize + 65_536) {
      this.#fail(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
      return;
    }
    if ((flags & Flag.END_HEADERS) === 0) return;
    this.#continuing = undefined;
    const block = new Uint8Array(size);
    let at = 0;
    for (const x of c.chunks) {
      block.set(x, at);
      at += x.byteLength;
    }
    this.#onHeaderBlock(c.flags, streamId, block);
  }

  #onHeaderBlock(flags: number, streamId: number, block: Uint8Array): void {
    let fields: HeaderList;
    try {
      fields = this.#decoder.decode(block);
    } catch (err) {
      this.#fail(ErrorCode.COMPRESSION_ERROR, err instanceof HpackError ? err.message : String(err));
      return;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const existing = this.#streams.get(streamId);
    if (existing) {
      // Request trailers: allowed only as the end of the request.
      if (!endStream || existing.remoteEnded) {
        this.resetStream(existing, ErrorCode.PROTOCOL_ERROR);
        existing.onAbort?.();
        return;
      }
      existing.remoteEnded = true;
      existing.onEnd?.();
      return;
    }
    if (streamId <= this.#lastStreamId) {
      this.#queue(rstFrame(streamId, ErrorCode.STREAM_CLOSED));
      return;
    }
    this.#lastStreamId = streamId;
    if (this.#goingAway || this.#streams.size >= this.#options.maxConcurrentStreams) {
      this.#queue(rstFrame(streamId, ErrorCode.REFUSED_STREAM));
      return;
    }
    let size = 0;
    for (const [name, value] of fields) size += name.length + value.length + 32;
    const stream = new H2Stream(
      streamId,
      fields,
      size,
      this,
      this.#peerInitialWindow,
      this.#options.initialWindowSize,
    );
    stream.remoteEnded = endStream;
    this.#streams.set(streamId, stream);
    this.#options.onStream(stream);
    if (endStream && !stream.closed) stream.onEnd?.();
  }

  #onSettings(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId !== 0 || payload.byteLength % 6 !== 0) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, "malformed SETTINGS");
      return;
    }
    if (flags & Flag.ACK) return;
    for (let i = 0; i < payload.byteLength; i += 6) {
      const id = (payload[i] << 8) | payload[i + 1];
      const value = uint32(payload, i + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW_SIZE) {
          this.#fail(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
          return;
        }
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const s of this.#streams.values()) s.sendWindow += delta;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
          this.#fail(ErrorCode.PROTOCOL_ERROR, "bad SETTINGS_MAX_FRAME_SIZE");
          return;
        }
        this.#peerMaxFrameSize = value;
      } else if (id === Setting.ENABLE_PUSH && value > 1) {
        this.#fail(ErrorCode.PROTOCOL_ERROR, "bad SETTINGS_ENABLE_PUSH");
        return;
      }
      // HEADER_TABLE_SIZE: this side never indexes, so the peer's table size does not matter.
    }
    this.#frameOut(FrameType.SETTINGS, Flag.ACK, 0, undefined);
    this.#pumpBlocked();
  }

  #onWindowUpdate(streamId: number, payload: Uint8Array): void {
    if (payload.byteLength !== 4) {
      this.#fail(ErrorCode.FRAME_SIZE_ERROR, "malformed WINDOW_UPDATE");
      return;
    }
    const increment = uint32(payload, 0) & MAX_WINDOW_SIZE;
    if (streamId === 0) {
      if (increment === 0 || this.#connSendWindow + increment > MAX_WINDOW_SIZE) {
        this.#fail(ErrorCode.FLOW_CONTROL_ERROR, "bad connection WINDOW_UPDATE");
        return;
      }
      this.#connSendWindow += increment;
      this.#pumpBlocked();
      return;
    }
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW_SIZE) {
      this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      stream.onAbort?.();
      return;
    }
    stream.sendWindow += increment;
    this.pump(stream);
    this.#wakeDrainWaiters();
  }

  #pumpBlocked(): void {
    for (const s of [...this.#blocked]) this.pump(s);
    this.#wakeDrainWaiters();
  }

  #close(stream: H2Stream, aborted: boolean): void {
    if (stream.closed) return;
    stream.closed = true;
    this.#streams.delete(stream.id);
    this.#blocked.delete(stream);
    this.#waiting.delete(stream);
    if (stream.drainWaiters.length > 0) for (const w of stream.drainWaiters.splice(0)) w();
    if (aborted) stream.onAbort?.();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#goingAway && this.#streams.size === 0 && this.#onIdle) {
      const onIdle = this.#onIdle;
      this.#onIdle = undefined;
      this.#flush();
      onIdle();
    }
  }

  #abortAll(): void {
    for (const s of [...this.#streams.values()]) this.#close(s, true);
    this.#onIdle?.();
    this.#onIdle = undefined;
  }

  #fail(code: number, message: string): void {
    if (this.#dead) return;
    this.#options.onError(new Error(`HTTP/2 connection error ${code}: ${message}`));
    this.#queue(encodeFrame(FrameType.GOAWAY, 0, 0, uint32Payload(this.#lastStreamId, code)));
    this.destroy();
  }

  #frameOut(type: number, flags: number, streamId: number, payload: Uint8Array | undefined): void {
    if (this.#dead) return;
    const length = payload?.byteLength ?? 0;
    const at = this.#reserve(FRAME_HEADER_SIZE + length);
    writeFrameHeader(this.#out, at, length, type, flags, streamId);
    if (payload && length > 0) this.#out.set(payload, at + FRAME_HEADER_SIZE);
    this.#queued();
  }

  /** Queues a whole encoded frame. */
  #queue(bytes: Uint8Array): void {
    if (this.#dead) return;
    this.#out.set(bytes, this.#reserve(bytes.byteLength));
    this.#queued();
  }

  /** Room for `n` more bytes in the output buffer; returns where they go. */
  #reserve(n: number): number {
    const at = this.#outBytes;
    if (at + n > this.#out.byteLength) {
      let size = this.#out.byteLength * 2;
      while (size < at + n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#out.subarray(0, at));
      this.#out = grown;
    }
    this.#outBytes = at + n;
    return at;
  }

  #queued(): void {
    if (this.#outBytes >= FLUSH_AT) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        if (!this.#dead) this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#unwritten) {
      const n = this.#transport.write(this.#unwritten);
      if (n < 0) return;
      if (n < this.#unwritten.byteLength) {
        this.#unwritten = this.#unwritten.subarray(n);
        return;
      }
      this.#unwritten = undefined;
    }
    if (this.#outBytes > 0) {
      const length = this.#outBytes;
      this.#outBytes = 0;
      const n = this.#transport.write(this.#out.subarray(0, length));
      // The buffer is reused: what the socket did not take is copied out.
      if (n >= 0 && n < length) this.#unwritten = this.#out.slice(n, length);
      // A burst may have grown the buffer far; a long-lived connection does not keep it.
      if (this.#out.byteLength > OUT_KEEP_SIZE) this.#out = new Uint8Array(OUT_INITIAL_SIZE);
    }
    this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    if (this.#waiting.size === 0 || this.backlog >= this.highWaterMark) return;
    for (const s of [...this.#waiting])
      if (s.queuedBytes + this.backlog < this.highWaterMark) {
        this.#waiting.delete(s);
        for (const w of s.drainWaiters.splice(0)) w();
      }
  }
}

function rstFrame(streamId: number, code: number): Uint8Array {
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, uint32Payload(code));
}

/** The payload without its padding (PADDED flag), or undefined when the padding is malformed. */
function unpad(flags: number, payload: Uint8Array): Uint8Array | undefined {
  if ((flags & Flag.PADDED) === 0) return payload;
  if (payload.byteLength < 1) return undefined;
  const pad = payload[0];
  if (pad >= payload.byteLength) return undefined;
  return payload.subarray(1, payload.byteLength - pad);
}
