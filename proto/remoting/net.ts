import type { AddressInfo } from "node:net";
import { createServer, type Socket as NodeSocket, connect as nodeConnect } from "node:net";
import type { Socket, TCPSocketListener } from "bun";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import {
  Connection,
  type ConnectionOptions,
  type RemotingConnection,
  type RemotingHandler,
  type Transport,
} from "./connection.ts";
import { DEFAULT_MAX_FRAME_SIZE } from "./frame.ts";
import type { RemotingCommand, SerializeTypeName } from "./remoting-command.ts";

/*
 * The one file in proto/ that opens sockets. A RemotingServer listens (broker, nameserver); a RemotingClient dials
 * and keeps one connection per address (broker -> nameservers, proxy -> brokers, CLI). Both dispatch incoming
 * requests to handlers registered by code, and both can invoke the peer (see connection.ts).
 *
 * Sockets come from Bun.listen/Bun.connect on Bun (the fastest here) and from node:net elsewhere: Deno has no
 * Bun global, and the Cluster-mode proxy must run under Deno too.
 */

/** Which socket API carries the connections: "bun" (Bun.listen/Bun.connect) or "node" (node:net). */
export type SocketApi = "bun" | "node";

/** "bun" when running on Bun, "node" otherwise (Deno, Node). */
export const defaultSocketApi: SocketApi = typeof Bun === "undefined" ? "node" : "bun";

type SocketData = { connection?: Connection };

/** What a started server keeps: the bound port and how to stop listening and drop every socket. */
interface Listening {
  port: number;
  stop(): void;
}

function bunTransport(socket: Socket<SocketData>) {
  return {
    write: (data: Uint8Array) => socket.write(data),
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/*
 * node:net buffers whatever it is given, so the Connection's write queue (and with it pauseReadingAboveBytes and
 * maxWriteQueueBytes) would never see backpressure. Refusing writes while the socket waits for "drain" keeps the
 * excess in the Connection's queue, as a partial Bun write does.
 */
function nodeTransport(socket: NodeSocket) {
  return {
    write: (data: Uint8Array) => {
      if (socket.destroyed || !socket.writable) return -1;
      if (socket.writableNeedDrain) return 0;
      socket.write(data);
      return data.length;
    },
    end: () => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** Feeds a node:net socket's events to its Connection (set once the socket is open). */
function wireNodeSocket(
  socket: NodeSocket,
  connection: () => Connection | undefined,
  onError: (err: unknown) => void,
): void {
  socket.on("data", (chunk: Uint8Array) => connection()?.receive(chunk));
  socket.on("drain", () => connection()?.drained());
  socket.on("close", () => connection()?.transportClosed());
  // Without an "error" listener node:net throws the error at the process.
  socket.on("error", onError);
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
  /** socket API (defaultSocketApi: Bun's on Bun, node:net elsewhere) */
  sockets: SocketApi;
}

export const defaultRemotingServerOptions: Readonly<RemotingServerOptions> = Object.freeze({
  host: "0.0.0.0",
  port: 0,
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  maxWriteQueueBytes: 64 * 1024 * 1024,
  pauseReadingAboveBytes: 8 * 1024 * 1024,
  sockets: defaultSocketApi,
});

export class RemotingServer {
  private readonly options: RemotingServerOptions;
  private readonly handlers = new Map<number, RemotingHandler>();
  private readonly live = new Set<Connection>();
  private listener?: Listening;
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
    const listening =
      this.options.sockets === "bun"
        ? this.listenBun(connectionOptions)
        : await this.listenNode(connectionOptions);
    this.listener = listening;
    return listening.port;
  }

  private accept(remoteAddress: string, transport: Transport, options: ConnectionOptions): Connection {
    const connection = new Connection(
      ++this.nextConnectionId,
      remoteAddress,
      transport,
      (code) => this.handlers.get(code),
      options,
    );
    this.live.add(connection);
    connection.onClose(() => this.live.delete(connection));
    return connection;
  }

  private listenBun(connectionOptions: ConnectionOptions): Listening {
    const listener: TCPSocketListener<SocketData> = Bun.listen<SocketData>({
      hostname: this.options.host,
      port: this.options.port,
      data: {},
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          const remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
          socket.data = { connection: this.accept(remoteAddress, bunTransport(socket), connectionOptions) };
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
    return { port: listener.port, stop: () => listener.stop(true) };
  }

  private listenNode(connectionOptions: ConnectionOptions): Promise<Listening> {
    const sockets = new Set<NodeSocket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.setNoDelay(true);
      const remoteAddress = formatAddress(socket.remoteAddress ?? "unknown", socket.remotePort ?? 0);
      const connection = this.accept(remoteAddress, nodeTransport(socket), connectionOptions);
      wireNodeSocket(
        socket,
        () => connection,
        (err) => this.options.onError?.(err, remoteAddress),
      );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        server.on("error", (err) => this.options.onError?.(err, "listener"));
        resolve({
          port: (server.address() as AddressInfo).port,
          stop: () => {
            server.close();
            for (const socket of sockets) socket.destroy();
          },
        });
      });
    });
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
    listener?.stop();
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
  /** socket API (defaultSocketApi: Bun's on Bun, node:net elsewhere) */
  sockets: SocketApi;
}

export const defaultRemotingClientOptions: Readonly<RemotingClientOptions> = Object.freeze({
  connectTimeoutMs: 3000,
  requestTimeoutMs: 3000,
  maxFrameSize: 16 * 1024 * 1024,
  maxWriteQueueBytes: 64 * 1024 * 1024,
  serializeType: "JSON",
  sockets: defaultSocketApi,
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
    const abandon = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = (transport: Transport) =>
      new Connection(
        ++this.nextConnectionId,
        addr,
        transport,
        (code) => this.handlers.get(code),
        connectionOptions,
      );
    const connecting =
      this.options.sockets === "bun"
        ? this.dialBun(hostname, port, addr, open, abandon.signal)
        : this.dialNode(hostname, port, addr, open, abandon.signal);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandon.abort();
        reject(
          new MqError(
            ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
            `connect to ${addr} timed out after ${this.options.connectTimeoutMs} ms`,
          ),
        );
      }, this.options.connectTimeoutMs);
    });
    try {
      const connection = await Promise.race([connecting, timeout]);
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

  /** Resolves with the connection, or undefined when the socket opened after the timeout or close(). */
  private async dialBun(
    hostname: string,
    port: number,
    addr: string,
    open: (transport: Transport) => Connection,
    abandoned: AbortSignal,
  ): Promise<Connection | undefined> {
    const socket = await Bun.connect<SocketData>({
      hostname,
      port,
      data: {},
      socket: {
        binaryType: "uint8array",
        open: (socket) => {
          if (abandoned.aborted || this.closed) {
            socket.end();
            return;
          }
          socket.data = { connection: open(bunTransport(socket)) };
        },
        data: (socket, chunk) => socket.data.connection?.receive(chunk),
        drain: (socket) => socket.data.connection?.drained(),
        close: (socket) => socket.data.connection?.transportClosed(),
        error: (_socket, err) => this.options.onError?.(err, addr),
        connectError: () => {},
      },
    });
    return socket.data.connection;
  }

  private dialNode(
    hostname: string,
    port: number,
    addr: string,
    open: (transport: Transport) => Connection,
    abandoned: AbortSignal,
  ): Promise<Connection | undefined> {
    return new Promise((resolve, reject) => {
      let connection: Connection | undefined;
      const socket = nodeConnect({ host: hostname, port, noDelay: true });
      // A dial that outlives its timeout must not leave a half-open socket behind.
      const onAbandon = () => socket.destroy();
      abandoned.addEventListener("abort", onAbandon, { once: true });
      wireNodeSocket(
        socket,
        () => connection,
        (err) => {
          if (connection) this.options.onError?.(err, addr);
          else reject(err);
        },
      );
      socket.once("connect", () => {
        abandoned.removeEventListener("abort", onAbandon);
        if (abandoned.aborted || this.closed) {
          socket.destroy();
          resolve(undefined);
          return;
        }
        connection = open(nodeTransport(socket));
        resolve(connection);
      });
    });
  }
}

/** @example const client = createRemotingClient(); const res = await client.invoke("127.0.0.1:9876", request) */
export function createRemotingClient(options: Partial<RemotingClientOptions> = {}): RemotingClient {
  return new RemotingClient(options);
}
