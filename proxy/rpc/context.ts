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
  return new LazyCallContext(init);
}

/**
 * Headers are read on first use: most calls look at one or two of them, if any. A class, not an object literal
 * with getters: a literal defines its accessors again for every call, which showed in the gRPC adapter's
 * profile (~2% of W1's server CPU).
 */
class LazyCallContext implements CallContext {
  readonly deadline: number | undefined;
  readonly protocol: string;
  readonly peer: string;
  readonly #init: CallContextInit;
  #clientId: string | undefined;
  #namespace: string | undefined;
  #language: string | undefined;
  #clientVersion: string | undefined;

  constructor(init: CallContextInit) {
    this.#init = init;
    this.deadline = init.timeoutMs === undefined ? undefined : init.now + init.timeoutMs;
    this.protocol = init.protocol;
    this.peer = init.peer;
  }

  #header(name: string): string {
    return (this.#init.header(name) ?? "").trim();
  }

  get clientId(): string {
    this.#clientId ??= this.#header("x-mq-client-id");
    return this.#clientId;
  }

  get namespace(): string {
    this.#namespace ??= this.#header("x-mq-namespace");
    return this.#namespace;
  }

  get language(): string {
    this.#language ??= this.#header("x-mq-language");
    return this.#language;
  }

  get clientVersion(): string {
    this.#clientVersion ??= this.#header("x-mq-client-version");
    return this.#clientVersion;
  }

  get signal(): AbortSignal {
    const signal = this.#init.signal;
    return typeof signal === "function" ? signal() : signal;
  }
}

/** The peer as the "ip:port" RocketMQ stores as a message's born host (the port is not known here: 0). */
export function peerBornHost(peer: string): string {
  const ip = peer.startsWith("::ffff:") ? peer.slice(7) : peer;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `${ip}:0`;
  if (ip.includes(":")) return `[${ip}]:0`;
  return "127.0.0.1:0";
}
