import { MqError } from "../error.ts";
import { requestCodeName } from "../request-code.ts";
import { ResponseCode } from "../response-code.ts";
import { createFrameDecoder, decodeFrame, encodeFrameAs, encodeFrameHeadAs } from "./frame.ts";
import {
  createResponse,
  errorToResponse,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  isOneway,
  isResponse,
  type RemotingCommand,
  type SerializeTypeName,
} from "./remoting-command.ts";

/*
 * One remoting connection, socket-agnostic: frames in, frames out, opaque correlation, request dispatch and the
 * write queue. net.ts plugs a Bun socket in as the Transport; both the server and the client use this class, so a
 * server can invoke its clients (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED) exactly as clients invoke it.
 */

/** Handles one request; what it returns (or throws, via errorToResponse) is sent back unless it was oneway. */
export type RemotingHandler = (
  cmd: RemotingCommand,
  ctx: RemotingContext,
) => RemotingCommand | Promise<RemotingCommand>;

export interface RemotingContext {
  /** "ip:port" of the peer */
  readonly remoteAddress: string;
  /** the connection the request came on: keep it to push requests to that peer later */
  readonly connection: RemotingConnection;
}

export interface RemotingConnection {
  /** unique within its server or client */
  readonly id: number;
  readonly remoteAddress: string;
  readonly closed: boolean;
  /** Bytes queued for the peer that the socket has not taken yet (backpressure). */
  readonly pendingWriteBytes: number;
  /** Sends a request to the peer and resolves with its response (any code); rejects with RPC_* MqErrors. */
  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand>;
  /** Sends a request flagged oneway; throws MqError(RPC_SEND_TO_CHANNEL_FAILED) if the connection is closed. */
  invokeOneway(cmd: RemotingCommand): void;
  /** Runs `listener` once when the connection closes (at once if it already has); returns an unsubscribe. */
  onClose(listener: () => void): () => void;
  close(): void;
}

/** Queued parts are merged into writes of up to this many bytes; a bigger part is written as it is. */
const COALESCE_BYTES = 256 * 1024;

/**
 * A response body this big is queued as a part of its own behind its frame head, not copied into the frame: it is
 * copied at most once, into a merged write, and not at all when it does not fit one. Writing such bodies alone
 * (two writes per response, no copy) measured slower on PULL than one copy into a shared write.
 */
export const SEPARATE_BODY_BYTES = 16 * 1024;

/** The little a connection needs from a socket. `write` returns bytes accepted, or -1 once closed. */
export interface Transport {
  write(data: Uint8Array): number;
  end(): void;
  pause?(): void;
  resume?(): void;
}

export interface ConnectionOptions {
  maxFrameSize: number;
  /** Close the connection when this many bytes wait to be written (the peer is not reading). */
  maxWriteQueueBytes: number;
  /** Stop reading while this many bytes wait to be written, resume when half drained; 0 = never. */
  pauseReadingAboveBytes: number;
  /** Header serialization of requests this side originates. */
  serializeType: SerializeTypeName;
  /** Told about frames that fail to decode and connections closed for it or for an overfull write queue. */
  onError?: (err: unknown, remoteAddress: string) => void;
}

interface Pending {
  resolve(cmd: RemotingCommand): void;
  reject(err: MqError): void;
  timer: ReturnType<typeof setTimeout>;
  code: number;
}

const MAX_OPAQUE = 2 ** 31 - 1;

export class Connection implements RemotingConnection {
  private readonly decoder;
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners = new Set<() => void>();
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private paused = false;
  private flushScheduled = false;
  private awaitingDrain = false;
  private nextOpaque = 0;
  private isClosed = false;
  private readonly ctx: RemotingContext;

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    private readonly transport: Transport,
    private readonly handlerFor: (code: number) => RemotingHandler | undefined,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = createFrameDecoder({ maxFrameSize: options.maxFrameSize });
    this.ctx = { remoteAddress, connection: this };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get pendingWriteBytes(): number {
    return this.queuedBytes;
  }

  /**
   * Bytes arrived from the socket. Decoded requests keep views of `chunk`, so the caller hands over a buffer it
   * will not reuse (Bun and node:net sockets give a fresh one per read). A frame that does not decode closes the
   * connection.
   */
  receive(chunk: Uint8Array): void {
    if (this.isClosed) return;
    let commands: RemotingCommand[];
    try {
      commands = this.decoder.push(chunk).map(decodeFrame);
    } catch (err) {
      this.options.onError?.(err, this.remoteAddress);
      this.close();
      return;
    }
    for (const cmd of commands) {
      if (isResponse(cmd)) this.settle(cmd);
      else void this.serve(cmd);
    }
  }

  /** The socket can take more: flush the write queue. */
  drained(): void {
    this.awaitingDrain = false;
    this.writeQueue();
  }

  /**
   * Writes what waits, merging queued parts into one write: the responses a burst of requests produces in one
   * event-loop turn go out in one write(2), not one each (a write per frame was a third of the broker's CPU).
   */
  private writeQueue(): void {
    while (this.queue.length > 0 && !this.isClosed) {
      if (this.queue.length > 1 && this.queue[0].length < COALESCE_BYTES) this.coalesceHead();
      const head = this.queue[0];
      const written = this.transport.write(head);
      if (written < 0) {
        this.transportClosed();
        return;
      }
      this.queuedBytes -= Math.max(written, 0);
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        this.awaitingDrain = true;
        return;
      }
      this.queue.shift();
    }
    if (this.paused && this.queuedBytes <= this.options.pauseReadingAboveBytes / 2) {
      this.paused = false;
      this.transport.resume?.();
    }
  }

  /** Replaces the first queued parts, up to COALESCE_BYTES, with one buffer holding them in order. */
  private coalesceHead(): void {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && (count === 0 || bytes + this.queue[count].length <= COALESCE_BYTES)) {
      bytes += this.queue[count].length;
      count++;
    }
    if (count < 2) return;
    const merged = new Uint8Array(bytes);
    let at = 0;
    for (let i = 0; i < count; i++) {
      merged.set(this.queue[i], at);
      at += this.queue[i].length;
    }
    this.queue.splice(0, count, merged);
  }

  /** The socket is gone: fail what waits on it and tell the listeners. */
  transportClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue = [];
    this.queuedBytes = 0;
    for (const [opaque, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(
        new MqError(
          ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
          `connection to ${this.remoteAddress} closed before the response to ${requestCodeName(p.code)} (opaque ${opaque})`,
        ),
      );
    }
    this.pending.clear();
    for (const listener of this.closeListeners) {
      try {
        listener();
      } catch (err) {
        this.options.onError?.(err, this.remoteAddress);
      }
    }
    this.closeListeners.clear();
  }

  close(): void {
    if (this.isClosed) return;
    // Responses still waiting for this turn's flush (say, an error answer just before closing) go out first.
    if (!this.awaitingDrain) this.writeQueue();
    if (this.isClosed) return;
    try {
      this.transport.end();
    } finally {
      this.transportClosed();
    }
  }

  onClose(listener: () => void): () => void {
    if (this.isClosed) {
      listener();
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.isClosed) return Promise.reject(this.closedError());
    const opaque = this.takeOpaque();
    let frame: Uint8Array;
    try {
      frame = encodeFrameAs(
        cmd,
        this.options.serializeType,
        opaque,
        cmd.flag & ~(FLAG_RESPONSE | FLAG_ONEWAY),
      );
    } catch (err) {
      return Promise.reject(MqError.from(err));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(
          new MqError(
            ResponseCode.RPC_TIME_OUT,
            `no response from ${this.remoteAddress} to ${requestCodeName(cmd.code)} within ${timeoutMs} ms (opaque ${opaque})`,
          ),
        );
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer, code: cmd.code });
      this.send(frame);
    });
  }

  invokeOneway(cmd: RemotingCommand): void {
    if (this.isClosed) throw this.closedError();
    const flag = (cmd.flag & ~FLAG_RESPONSE) | FLAG_ONEWAY;
    this.send(encodeFrameAs(cmd, this.options.serializeType, this.takeOpaque(), flag));
  }

  private closedError(): MqError {
    return new MqError(
      ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
      `connection to ${this.remoteAddress} is closed`,
    );
  }

  private takeOpaque(): number {
    this.nextOpaque = this.nextOpaque >= MAX_OPAQUE ? 1 : this.nextOpaque + 1;
    return this.nextOpaque;
  }

  private settle(response: RemotingCommand): void {
    const p = this.pending.get(response.opaque);
    if (!p) return; // already timed out
    this.pending.delete(response.opaque);
    clearTimeout(p.timer);
    p.resolve(response);
  }

  private async serve(request: RemotingCommand): Promise<void> {
    const handler = this.handlerFor(request.code);
    let response: RemotingCommand;
    if (!handler) {
      response = createResponse(
        request,
        ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
        `request type ${request.code} not supported`,
      );
    } else {
      try {
        response = await handler(request, this.ctx);
        if (!response) {
          throw new MqError(
            ResponseCode.SYSTEM_ERROR,
            `handler for ${requestCodeName(request.code)} returned nothing`,
          );
        }
      } catch (err) {
        response = errorToResponse(request, err);
      }
    }
    if (isOneway(request) || this.isClosed) return;
    // A handler hands its response over: a big body is not modified afterwards, so it can wait in the queue as is.
    const body = response.body;
    const separate = body !== undefined && body.length >= SEPARATE_BODY_BYTES;
    let frame: Uint8Array;
    try {
      frame = separate
        ? encodeFrameHeadAs(response, request.serializeType, request.opaque, response.flag | FLAG_RESPONSE)
        : encodeFrameAs(response, request.serializeType, request.opaque, response.flag | FLAG_RESPONSE);
    } catch (err) {
      const failed = errorToResponse(request, err);
      frame = encodeFrameAs(failed, request.serializeType, request.opaque, failed.flag | FLAG_RESPONSE);
      this.send(frame);
      return;
    }
    this.send(frame, separate ? body : undefined);
  }

  /** Queues a frame, or a frame head and its body as two parts (queued together, so nothing comes between). */
  private send(frame: Uint8Array, body?: Uint8Array): void {
    if (this.isClosed) return;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (body) {
      this.queue.push(body);
      this.queuedBytes += body.length;
    }
    if (this.queuedBytes > this.options.maxWriteQueueBytes) {
      this.options.onError?.(
        new MqError(
          ResponseCode.SYSTEM_BUSY,
          `${this.queuedBytes} bytes wait to be written to ${this.remoteAddress}; closing the connection`,
        ),
        this.remoteAddress,
      );
      this.close();
      return;
    }
    const pauseAbove = this.options.pauseReadingAboveBytes;
    if (pauseAbove > 0 && !this.paused && this.queuedBytes > pauseAbove) {
      this.paused = true;
      this.transport.pause?.();
    }
    // One flush per event-loop turn; while the socket is full, its drain event flushes instead.
    if (!this.flushScheduled && !this.awaitingDrain) {
      this.flushScheduled = true;
      setImmediate(this.flushScheduledWrites);
    }
  }

  private readonly flushScheduledWrites = (): void => {
    this.flushScheduled = false;
    if (!this.awaitingDrain) this.writeQueue();
  };
}
