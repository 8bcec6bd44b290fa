import type { Socket, TCPSocketListener } from "bun";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import {
  Connection,
  type ConnectionOptions,
  type RemotingConnection,
  type RemotingHandler,
} from "./connection.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "./frame.ts";
import type { RemotingCommand, SerializeTypeName } from "./remoting-command.ts";

/*
 * The one file in proto/ that opens sockets. A RemotingServer listens (broker, nameserver); a RemotingClient dials
 * and keeps one connection per address (broker -> nameservers, proxy -> brokers, CLI). Both dispatch incoming
 * requests to handlers registered by code, and both can invoke the peer (see connection.ts).
 */

type SocketData = { connection?: Connection };

function bunTransport(socket: Socket<SocketData>) {
  return {
    write: (data: Uint8Array) => socket.write(data),
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

function formatAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export interface RemotingServerOptions {
  host: string;
  /** 0 picks a free port; `start()` resolves with the bound one */
  port: number;
  /** largest frame accepted from a peer (total length) */
  maxFrameSize: number;
  /** a peer that leaves this many response bytes unread is disconnected */
  maxWriteQueueBytes: number;
  /** stop reading a peer's requests while this many response bytes wait for it */
  pauseReadingAboveBytes: number;
  /** told about undecodable frames and dropped connections; the server itself keeps serving */
  onError?: (err: unknown, remoteAddress: string) => void;
}

export const defaultRemotingServerOptions: Readonly<RemotingServerOptions> = Object.freeze({
  host: "0.0.0.0",
  port: 0,
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  maxWriteQueueBytes: 64 * 1024 * 1024,
  pauseReadingAboveBytes: 8 * 1024 * 1024,
});

export class RemotingServer {
  private readonly options: RemotingServerOptions;
  private readonly handlers = new Map<number, RemotingHandler>();
  private readonly live = new Set<Connection>();
  private listener?: TCPSocketListener<SocketData>;
  private nextConnectionId = 0;

  constructor(options: Partial<RemotingServerOptions> = {}) {
    this.options = { ...defaultRemotingServerOptions, ...options };
  }

  /** Registers the handler for a request code (replacing any earlier one). Unknown codes get REQUEST_CODE_NOT_SUPPORTED. */
  handle(code: number, handler: RemotingHandler): this {
    this.handlers.set(code, handler);
    return this;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.listener) return this.listener.port;
    const connectionOptions: ConnectionOptions = {
      maxFrameSize: this.options.maxFrameSize,
      maxWriteQueueBytes: this.options.maxWriteQueueBytes,
      pauseReadingAboveBytes: this.options.pauseReadingAboveBytes,
      serializeType: "JSON",
      onError: this.options.onError,
    };
    this.listener = Bun.listen<SocketData>({
      hostname: this.options.host,
      port: this.options.port,
      data: {},
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          const connection = new Connection(
            ++this.nextConnectionId,
            formatAddress(socket.remoteAddress, socket.remotePort),
            bunTransport(socket),
            (code) => this.handlers.get(code),
            connectionOptions,
          );
          socket.data = { connection };
          this.live.add(connection);
          connection.onClose(() => this.live.delete(connection));
        },
        data: (socket, chunk) => socket.data.connection?.receive(chunk),
        drain: (socket) => socket.data.connection?.drained(),
        close: (socket) => socket.data.connection?.transportClosed(),
        error: (socket, err) => {
          const connection = socket.data.connection;
          this.options.onError?.(err, connection?.remoteAddress ?? "unknown");
        },
      },
    });
    return this.listener.port;
  }

  /** The bound port (after `start()`). */
  get port(): number {
    if (!this.listener) throw new MqError(ResponseCode.SYSTEM_ERROR, "remoting server is not started");
    return this.listener.port;
  }

  /** Open connections, e.g. to push a request to every client. */
  connections(): RemotingConnection[] {
    return [...this.live];
  }

  /** Stops listening and closes every connection (pending invokes on them reject). */
  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const connection of [...this.live]) connection.close();
    listener?.stop(true);
  }
}

/** @example const server = createRemotingServer({ host: "127.0.0.1" }).handle(RequestCode.HEART_BEAT, onHeartbeat) */
export function createRemotingServer(options: Partial<RemotingServerOptions> = {}): RemotingServer {
  return new RemotingServer(options);
}

export interface RemotingClientOptions {
  connectTimeoutMs: number;
  /** default `invoke` timeout */
  requestTimeoutMs: number;
  /** largest frame accepted from a server; pull responses carry many messages, hence Java's 16 MiB */
  maxFrameSize: number;
  maxWriteQueueBytes: number;
  /** header serialization of our requests */
  serializeType: SerializeTypeName;
  onError?: (err: unknown, remoteAddress: string) => void;
}

export const defaultRemotingClientOptions: Readonly<RemotingClientOptions> = Object.freeze({
  connectTimeoutMs: 3000,
  requestTimeoutMs: 3000,
  maxFrameSize: 16 * 1024 * 1024,
  maxWriteQueueBytes: 64 * 1024 * 1024,
  serializeType: "JSON",
});

function parseAddress(addr: string): { hostname: string; port: number } {
  const colon = addr.lastIndexOf(":");
  const host = colon > 0 ? addr.slice(0, colon).replace(/^\[(.*)\]$/, "$1") : "";
  const port = colon > 0 ? Number(addr.slice(colon + 1)) : Number.NaN;
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new MqError(ResponseCode.RPC_ADDR_IS_NULL, `"${addr}" is not a host:port address`);
  }
  return { hostname: host, port };
}

export class RemotingClient {
  private readonly options: RemotingClientOptions;
  private readonly handlers = new Map<number, RemotingHandler>();
  private readonly live = new Map<string, Promise<Connection>>();
  private nextConnectionId = 0;
  private closed = false;

  constructor(options: Partial<RemotingClientOptions> = {}) {
    this.options = { ...defaultRemotingClientOptions, ...options };
  }

  /** Registers a handler for requests the server sends us (e.g. CHECK_TRANSACTION_STATE). */
  handle(code: number, handler: RemotingHandler): this {
    this.handlers.set(code, handler);
    return this;
  }

  /**
   * Sends `cmd` to `addr` ("host:port") and resolves with the response, whatever its code (see
   * ensureResponseCode). Rejects with MqError RPC_ADDR_IS_NULL (bad address), RPC_SEND_TO_CHANNEL_FAILED
   * (connect failed, connection lost) or RPC_TIME_OUT. `timeoutMs` covers connecting and waiting.
   */
  async invoke(
    addr: string,
    cmd: RemotingCommand,
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<RemotingCommand> {
    const started = performance.now();
    const connection = await this.connection(addr);
    const remaining = Math.floor(timeoutMs - (performance.now() - started));
    if (remaining <= 0) {
      throw new MqError(
        ResponseCode.RPC_TIME_OUT,
        `connecting to ${addr} used up the ${timeoutMs} ms timeout`,
      );
    }
    return connection.invoke(cmd, remaining);
  }

  /** Sends `cmd` flagged oneway; resolves once it is handed to the socket. */
  async invokeOneway(addr: string, cmd: RemotingCommand): Promise<void> {
    (await this.connection(addr)).invokeOneway(cmd);
  }

  /** The (shared) connection to `addr`, dialled on first use and again after it closes. */
  connection(addr: string): Promise<RemotingConnection> {
    if (this.closed) {
      return Promise.reject(
        new MqError(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED, "remoting client is closed"),
      );
    }
    const existing = this.live.get(addr);
    if (existing) return existing;
    const dialing = this.dial(addr);
    this.live.set(addr, dialing);
    const forget = () => {
      if (this.live.get(addr) === dialing) this.live.delete(addr);
    };
    dialing.then((connection) => connection.onClose(forget), forget);
    return dialing;
  }

  /** Closes every connection; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const dialing = [...this.live.values()];
    this.live.clear();
    const settled = await Promise.allSettled(dialing);
    for (const s of settled) if (s.status === "fulfilled") s.value.close();
  }

  private async dial(addr: string): Promise<Connection> {
    const { hostname, port } = parseAddress(addr);
    const connectionOptions: ConnectionOptions = {
      maxFrameSize: this.options.maxFrameSize,
      maxWriteQueueBytes: this.options.maxWriteQueueBytes,
      pauseReadingAboveBytes: 0, // never stop reading responses: that could deadlock with a server doing the same
      serializeType: this.options.serializeType,
      onError: this.options.onError,
    };
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Bun.connect<SocketData>({
      hostname,
      port,
      data: {},
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          if (timedOut || this.closed) {
            socket.end();
            return;
          }
          socket.data = {
            connection: new Connection(
              ++this.nextConnectionId,
              addr,
              bunTransport(socket),
              (code) => this.handlers.get(code),
              connectionOptions,
            ),
          };
        },
        data: (socket, chunk) => socket.data.connection?.receive(chunk),
        drain: (socket) => socket.data.connection?.drained(),
        close: (socket) => socket.data.connection?.transportClosed(),
        error: (_socket, err) => this.options.onError?.(err, addr),
        connectError: () => {},
      },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(
          new MqError(
            ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
            `connect to ${addr} timed out after ${this.options.connectTimeoutMs} ms`,
          ),
        );
      }, this.options.connectTimeoutMs);
    });
    try {
      const socket = await Promise.race([connecting, timeout]);
      const connection = socket.data.connection;
      if (!connection)
        throw new MqError(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED, `connection to ${addr} was dropped`);
      return connection;
    } catch (err) {
      if (err instanceof MqError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new MqError(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED, `connect to ${addr} failed: ${reason}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** @example const client = createRemotingClient(); const res = await client.invoke("127.0.0.1:9876", request) */
export function createRemotingClient(options: Partial<RemotingClientOptions> = {}): RemotingClient {
  return new RemotingClient(options);
}
