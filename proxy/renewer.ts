import type { Logger } from "../config/index.ts";
import type { Backend } from "./backend/backend.ts";
import { readReceiptHandle } from "./rpc/receipt-handle.ts";

/**
 * auto_renew (PushConsumer): the proxy keeps messages it delivered invisible until the client acks them,
 * renewing each handle shortly before it expires. A renewal issues a new handle while the client still holds
 * the original, so this is the one piece of per-proxy state on the consume path: an ack or change of a held
 * handle is translated to its latest renewal. Handles received without auto_renew never enter here.
 */
export interface RenewerOptions {
  backend: Backend;
  logger: Logger;
  /** Invisible time of each renewal (defaultInvisibleTimeMills). */
  invisibleTimeMillis: number;
  /** Renew when a handle is this close to becoming visible. */
  renewAheadMillis: number;
  /** Stop renewing a message after this long, so a stuck consumer cannot hold it forever. */
  maxRenewMillis: number;
  scanIntervalMillis: number;
  now?: () => number;
}

export const defaultRenewerTiming = Object.freeze({
  renewAheadMillis: 10_000,
  maxRenewMillis: 3 * 3600 * 1000,
  scanIntervalMillis: 1000,
});

interface Held {
  clientId: string;
  consumerGroup: string;
  topic: string;
  brokerName: string;
  latest: string;
  nextVisibleTime: number;
  heldSince: number;
  renewing: Promise<void> | undefined;
}

export class HandleRenewer {
  readonly #held = new Map<string, Held>();
  readonly #options: RenewerOptions;
  readonly #now: () => number;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: RenewerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.renewDue(), options.scanIntervalMillis);
    this.#timer.unref?.();
  }

  static #key(consumerGroup: string, handle: string): string {
    return `${consumerGroup}\u0000${handle}`;
  }

  hold(clientId: string, consumerGroup: string, topic: string, handle: string): void {
    const info = readReceiptHandle(handle);
    if (!info) return;
    this.#held.set(HandleRenewer.#key(consumerGroup, handle), {
      clientId,
      consumerGroup,
      topic,
      brokerName: info.brokerName,
      latest: handle,
      nextVisibleTime: info.nextVisibleTime,
      heldSince: this.#now(),
      renewing: undefined,
    });
  }

  /** Stops renewing a handle and returns the handle to use for it now (its latest renewal, or itself). */
  async release(consumerGroup: string, handle: string): Promise<string> {
    const key = HandleRenewer.#key(consumerGroup, handle);
    const h = this.#held.get(key);
    if (!h) return handle;
    this.#held.delete(key);
    if (h.renewing) await h.renewing;
    return h.latest;
  }

  /** Forgets a client's messages (it went away): they become visible when their current handle expires. */
  dropClient(clientId: string): void {
    for (const [key, h] of this.#held) if (h.clientId === clientId) this.#held.delete(key);
  }

  get size(): number {
    return this.#held.size;
  }

  /** Renews every handle close to expiry (run by a timer; callable directly). */
  renewDue(): Promise<void>[] {
    const now = this.#now();
    const started: Promise<void>[] = [];
    for (const [key, h] of this.#held) {
      if (h.renewing || h.nextVisibleTime - now > this.#options.renewAheadMillis) continue;
      if (now - h.heldSince > this.#options.maxRenewMillis) {
        this.#held.delete(key);
        continue;
      }
      h.renewing = this.#options.backend
        .changeInvisibleTime(h.brokerName, {
          consumerGroup: h.consumerGroup,
          topic: h.topic,
          receiptHandle: h.latest,
          invisibleTime: this.#options.invisibleTimeMillis,
        })
        .then(
          (next) => {
            h.latest = next;
            h.nextVisibleTime = this.#now() + this.#options.invisibleTimeMillis;
          },
          (err) => {
            this.#options.logger.warn(
              { err, group: h.consumerGroup },
              "auto-renew of a receipt handle failed",
            );
            this.#held.delete(key);
          },
        )
        .finally(() => {
          h.renewing = undefined;
        });
      started.push(h.renewing);
    }
    return started;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#held.clear();
  }
}
