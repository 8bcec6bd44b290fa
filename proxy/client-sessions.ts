import { ClientType, type Settings, type TelemetryCommand } from "../proto/v2.ts";
import type { AsyncQueue } from "./async-queue.ts";

/**
 * What one proxy knows about a connected client (keyed by x-mq-client-id): its settings from Telemetry, the
 * groups it said it belongs to, and its open Telemetry streams so the proxy can push commands (transaction
 * check-backs) to it. Nothing here is needed to ack: receipt handles are self-contained.
 */
export interface ClientSession {
  readonly clientId: string;
  clientType: ClientType;
  /** The settings the client sent on Telemetry (none for Connect / gRPC-Web clients). */
  settings: Settings | undefined;
  /** Producer groups (the v2 protocol uses topic names) and consumer groups. */
  readonly producerGroups: Set<string>;
  readonly consumerGroups: Set<string>;
  lastSeen: number;
  readonly telemetry: Set<AsyncQueue<TelemetryCommand>>;
}

export interface ClientSessionsOptions {
  /** A client with no Telemetry stream and no call for this long is forgotten (grpcClientIdleTimeMills). */
  idleTimeMillis: number;
  now?: () => number;
  /** Called for each session dropped by the idle scan. */
  onExpire?: (session: ClientSession) => void;
}

export class ClientSessions {
  readonly #sessions = new Map<string, ClientSession>();
  readonly #now: () => number;
  readonly #options: ClientSessionsOptions;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: ClientSessionsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.expireIdle(), Math.max(1000, options.idleTimeMillis / 4));
    this.#timer.unref?.();
  }

  get(clientId: string): ClientSession | undefined {
    return this.#sessions.get(clientId);
  }

  /** The client's session, created on first sight, marked as seen now. */
  touch(clientId: string, clientType?: ClientType): ClientSession {
    let s = this.#sessions.get(clientId);
    if (!s) {
      s = {
        clientId,
        clientType: ClientType.CLIENT_TYPE_UNSPECIFIED,
        settings: undefined,
        producerGroups: new Set(),
        consumerGroups: new Set(),
        lastSeen: 0,
        telemetry: new Set(),
      };
      this.#sessions.set(clientId, s);
    }
    if (clientType !== undefined && clientType !== ClientType.CLIENT_TYPE_UNSPECIFIED)
      s.clientType = clientType;
    s.lastSeen = this.#now();
    return s;
  }

  /** Registers an open Telemetry stream's outbox; the returned function detaches it. */
  attachTelemetry(clientId: string, outbox: AsyncQueue<TelemetryCommand>): () => void {
    const s = this.touch(clientId);
    s.telemetry.add(outbox);
    return () => {
      s.telemetry.delete(outbox);
      s.lastSeen = this.#now();
    };
  }

  /** Sessions of a producer group that have a Telemetry stream to push to. */
  reachableProducers(producerGroup: string): ClientSession[] {
    return [...this.#sessions.values()].filter(
      (s) => s.producerGroups.has(producerGroup) && s.telemetry.size > 0,
    );
  }

  remove(clientId: string): ClientSession | undefined {
    const s = this.#sessions.get(clientId);
    if (!s) return undefined;
    this.#sessions.delete(clientId);
    for (const outbox of s.telemetry) outbox.end();
    return s;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Drops clients idle for longer than idleTimeMillis (run by a timer; callable directly). */
  expireIdle(): void {
    const limit = this.#now() - this.#options.idleTimeMillis;
    for (const s of [...this.#sessions.values()]) {
      if (s.telemetry.size > 0 || s.lastSeen > limit) continue;
      this.#sessions.delete(s.clientId);
      this.#options.onExpire?.(s);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const s of this.#sessions.values()) for (const outbox of s.telemetry) outbox.end();
    this.#sessions.clear();
  }
}
