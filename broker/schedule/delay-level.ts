import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses broker.conf `messageDelayLevel` ("1s 5s 10s 30s 1m ... 2h") into delays in ms; level N is index N-1.
 * @example parseDelayLevels("1s 5s 2m") // [1000, 5000, 120000]
 */
export function parseDelayLevels(spec: string): number[] {
  const levels: number[] = [];
  for (const item of spec.trim().split(/\s+/)) {
    const m = /^(\d+)([smhd])$/.exec(item);
    if (!m) throw new MqError(ResponseCode.INVALID_PARAMETER, `messageDelayLevel: bad level "${item}"`);
    levels.push(Number(m[1]) * UNIT_MS[m[2]!]!);
  }
  if (levels.length === 0) throw new MqError(ResponseCode.INVALID_PARAMETER, "messageDelayLevel is empty");
  return levels;
}
