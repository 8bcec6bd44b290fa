/**
 * What an RPC handler knows about its call, the same whichever adapter (native gRPC on node:http2, or
 * Connect / gRPC-Web / Connect JSON through connect-es) delivered it.
 */
export interface CallContext {
  /** `x-mq-client-id`; empty when the client sent none. */
  readonly clientId: string;
  /** `x-mq-namespace`; empty when unset. */
  readonly namespace: string;
  /** `x-mq-language` (the Node SDK sends HTTP) and `x-mq-client-version`. */
  readonly language: string;
  readonly clientVersion: string;
  /** Aborts when the client goes away, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the client stops waiting (grpc-timeout / connect-timeout-ms), if it said. */
  readonly deadline: number | undefined;
  /** "grpc", "grpc-web" or "connect". */
  readonly protocol: string;
  /** Remote address, for logs and born_host fallback. */
  readonly peer: string;
}

export interface CallContextInit {
  header: (name: string) => string | null | undefined;
  /** The signal, or a function making it on first use (most unary calls never look). */
  signal: AbortSignal | (() => AbortSignal);
  timeoutMs: number | undefined;
  protocol: string;
  peer: string;
  now: number;
}

export function createCallContext(init: CallContextInit): CallContext {
  // Headers are read on first use: most calls look at one or two of them, if any.
  const h = (name: string) => (init.header(name) ?? "").trim();
  const signal = init.signal;
  let clientId: string | undefined;
  let namespace: string | undefined;
  let language: string | undefined;
  let clientVersion: string | undefined;
  return {
    get clientId() {
      clientId ??= h("x-mq-client-id");
      return clientId;
    },
    get namespace() {
      namespace ??= h("x-mq-namespace");
      return namespace;
    },
    get language() {
      language ??= h("x-mq-language");
      return language;
    },
    get clientVersion() {
      clientVersion ??= h("x-mq-client-version");
      return clientVersion;
    },
    get signal() {
      return typeof signal === "function" ? signal() : signal;
    },
    deadline: init.timeoutMs === undefined ? undefined : init.now + init.timeoutMs,
    protocol: init.protocol,
    peer: init.peer,
  };
}

/** The peer as the "ip:port" RocketMQ stores as a message's born host (the port is not known here: 0). */
export function peerBornHost(peer: string): string {
  const ip = peer.startsWith("::ffff:") ? peer.slice(7) : peer;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `${ip}:0`;
  if (ip.includes(":")) return `[${ip}]:0`;
  return "127.0.0.1:0";
}
