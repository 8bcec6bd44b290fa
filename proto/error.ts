import { ResponseCode, responseCodeName } from "./response-code.ts";

/**
 * The one error type of bunmq. `code` is a RocketMQ remoting response code; the remoting layer turns it
 * into a response command (code + remark) and the proxy edge maps it to an apache.rocketmq.v2 Code.
 * Throw it for faults and refusals only: expected outcomes ("no message yet") are return values.
 */
export class MqError extends Error {
  readonly code: number;

  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MqError";
    this.code = code;
  }

  /** Anything thrown becomes an MqError; unknown faults are SYSTEM_ERROR with the original kept as cause. */
  static from(err: unknown): MqError {
    if (err instanceof MqError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new MqError(ResponseCode.SYSTEM_ERROR, message, { cause: err });
  }

  override toString(): string {
    return `MqError[${responseCodeName(this.code)}(${this.code})]: ${this.message}`;
  }
}
