import type { MqError } from "../proto/error.ts";
import {
  type BrokerRegistration,
  createUnregisterBrokerRequest,
  type RegisterBrokerOutcome,
  type RemotingClient,
  registerBrokerAll,
} from "../proto/remoting/index.ts";

export interface RegistrationOptions {
  client: RemotingClient;
  /** namesrvAddr from broker.conf: "host:port;host:port". Empty = register nowhere. */
  namesrvAddr: string;
  /** What to register, read fresh each time (topics change). */
  registration: () => BrokerRegistration;
  /** registerNameServerPeriod. */
  periodMs: number;
  /** registerBrokerTimeoutMills. */
  timeoutMs: number;
  /**
   * First retry after a nameserver could not be reached; doubles per failed round up to `periodMs`. A broker
   * started a moment before its nameserver is otherwise unknown to clients for a whole period (30 s by default).
   */
  retryMinMs?: number;
  onOutcome?: (outcome: RegisterBrokerOutcome) => void;
  onError?: (err: MqError) => void;
}

/** Splits namesrvAddr ("a:9876;b:9876") into addresses. */
export function nameServerAddresses(namesrvAddr: string): string[] {
  return namesrvAddr
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Keeps the broker registered with every nameserver: at start, every `periodMs`, and soon after its topics change
 * (`registerSoon`); unregisters on close. One unreachable nameserver never blocks the others.
 */
export class Registration {
  private readonly addresses: string[];
  private timer?: ReturnType<typeof setInterval>;
  private soon?: ReturnType<typeof setTimeout>;
  private inFlight?: Promise<RegisterBrokerOutcome[]>;
  private again = false;
  private closed = false;
  private retry?: ReturnType<typeof setTimeout>;
  private retryDelayMs = 0;

  constructor(private readonly options: RegistrationOptions) {
    this.addresses = nameServerAddresses(options.namesrvAddr);
  }

  /** Registers once (awaited) and starts the periodic re-registration. */
  async start(): Promise<RegisterBrokerOutcome[]> {
    const outcomes = await this.registerNow();
    this.timer = setInterval(() => void this.registerNow(), this.options.periodMs);
    return outcomes;
  }

  /** Registers with every nameserver now; a call during a registration runs one more right after it. */
  registerNow(): Promise<RegisterBrokerOutcome[]> {
    if (this.closed || this.addresses.length === 0) return Promise.resolve([]);
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    const run = registerBrokerAll(
      this.options.client,
      this.addresses,
      this.options.registration(),
      this.options.timeoutMs,
    ).then((outcomes) => {
      for (const o of outcomes) {
        this.options.onOutcome?.(o);
        if (!o.ok) this.options.onError?.(o.error);
      }
      this.scheduleRetry(outcomes.some((o) => !o.ok));
      return outcomes;
    });
    this.inFlight = run.finally(() => {
      this.inFlight = undefined;
      if (this.again) {
        this.again = false;
        void this.registerNow();
      }
    });
    return this.inFlight;
  }

  /** After a failed round, tries again sooner than the period, backing off; a clean round resets the backoff. */
  private scheduleRetry(failed: boolean): void {
    if (!failed) {
      this.retryDelayMs = 0;
      return;
    }
    if (this.closed || this.retry) return;
    const min = this.options.retryMinMs ?? 1000;
    this.retryDelayMs = Math.min(
      this.options.periodMs,
      this.retryDelayMs === 0 ? min : this.retryDelayMs * 2,
    );
    if (this.retryDelayMs >= this.options.periodMs) return; // the periodic round comes as soon
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.registerNow();
    }, this.retryDelayMs);
  }

  /** Topics changed: register shortly, coalescing a burst of changes into one registration. */
  registerSoon(): void {
    if (this.soon || this.closed) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.registerNow();
    }, 10);
  }

  /** Stops re-registering and tells every nameserver the broker is leaving. */
  async close(b: {
    clusterName: string;
    brokerName: string;
    brokerAddr: string;
    brokerId: number;
  }): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    if (this.retry) clearTimeout(this.retry);
    await this.inFlight?.catch(() => []);
    const request = createUnregisterBrokerRequest(b);
    await Promise.all(
      this.addresses.map((addr) =>
        this.options.client
          .invoke(addr, request, Math.min(this.options.timeoutMs, 3000))
          .catch(() => undefined),
      ),
    );
  }
}
