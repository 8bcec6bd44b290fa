import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";

export interface UniqKeyGeneratorOptions {
  /** 4 (IPv4) or 16 (IPv6) address bytes of this process' host. */
  ip: Uint8Array;
  /** Its low 16 bits go into the id. */
  pid: number;
  /** Stands in for Java's class-loader hash: any int32; null picks a random one per generator. */
  instanceHash: number | null;
  clock: () => number;
}

export const defaultUniqKeyGeneratorOptions: Readonly<UniqKeyGeneratorOptions> = Object.freeze({
  ip: new Uint8Array([127, 0, 0, 1]),
  pid: 0,
  instanceHash: null,
  clock: Date.now,
});

export interface UniqKeyGenerator {
  /** A new id, e.g. "7F0000011A2B3C4D5E6F0011223300A1" (32 hex chars for IPv4, 56 for IPv6). */
  next(): string;
}

/** "00".."FF" by byte value. */
const HEX2: readonly string[] = Object.freeze(
  Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, "0")),
);

/**
 * Client-style UNIQ_KEY ids as the Java remoting client makes them (MessageClientIDSetter): ip, pid (2 bytes),
 * instance hash (4), ms since the start of the current month in local time (4), a 16-bit counter (2); uppercase hex.
 * Unique per generator as long as fewer than 65536 ids are made per millisecond.
 */
export function createUniqKeyGenerator(options: Partial<UniqKeyGeneratorOptions> = {}): UniqKeyGenerator {
  const o = { ...defaultUniqKeyGeneratorOptions, ...options };
  if (o.ip.length !== 4 && o.ip.length !== 16) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, "UNIQ_KEY ip must have 4 or 16 bytes");
  }
  const instanceHash = o.instanceHash ?? (Math.random() * 0x100000000) | 0;
  let fixed = "";
  for (const b of o.ip) fixed += hexByte(b);
  fixed += hexByte((o.pid >> 8) & 0xff) + hexByte(o.pid & 0xff);
  fixed += hex32(instanceHash);
  let monthStart = 0;
  let nextMonthStart = 0;
  let counter = 0;
  let lastNow = -1;
  let head = "";
  return {
    next() {
      const now = o.clock();
      if (now !== lastNow) {
        if (now >= nextMonthStart || now < monthStart) {
          const d = new Date(now);
          monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
          nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
        }
        lastNow = now;
        head = fixed + hex32(now - monthStart);
      }
      const id = head + HEX2[(counter >> 8) & 0xff]! + HEX2[counter & 0xff]!;
      counter = (counter + 1) & 0xffff;
      return id;
    },
  };
}

function hexByte(b: number): string {
  return HEX2[b]!;
}

function hex32(v: number): string {
  return HEX2[(v >>> 24) & 0xff]! + HEX2[(v >>> 16) & 0xff]! + HEX2[(v >>> 8) & 0xff]! + HEX2[v & 0xff]!;
}
