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
  /**
   * Makes the next id without its string: writes its ASCII bytes (`length` of them) at byte `at` of `target` (a
   * store encodes it in place) and returns its counter; `uniqKeyText(lastHead(), counter)` is the id, made when
   * someone asks for it. `now` saves a clock read when the caller just made one.
   */
  nextInto(target: DataView, at: number, now?: number): number;
  /** All of the last id but its counter: its first `length - 4` chars (shared by the ids of one millisecond). */
  lastHead(): string;
  /** Java String.hashCode of the id made last (the index hashes it without reading the string again). */
  lastHashCode(): number;
  /** Length of every id: 32 for an IPv4 host, 56 for IPv6. */
  readonly length: number;
}

/** "00".."FF" by byte value. */
const HEX2: readonly string[] = Object.freeze(
  Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, "0")),
);
/** The two ASCII codes of HEX2[b] as one big-endian 16-bit word. */
const HEX2_WORD = Uint16Array.from(HEX2, (h) => (h.charCodeAt(0) << 8) | h.charCodeAt(1));
/** String.hashCode of HEX2[b]. */
const HEX2_HASH = Int32Array.from(HEX2, (h) => h.charCodeAt(0) * 31 + h.charCodeAt(1));

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
  const length = fixed.length + 12;
  let monthStart = 0;
  let nextMonthStart = 0;
  let counter = 0;
  let lastNow = -1;
  let head = "";
  /** The head's ASCII bytes as big-endian 32-bit words (its length is a multiple of 4). */
  const headWords = new Int32Array((length - 4) / 4);
  let headHash = 0;
  let lastHash = 0;
  /** Moves the id's head (all but the counter) to `now`; returns the counter to use and sets lastHash. */
  const advance = (now: number): number => {
    if (now !== lastNow) {
      if (now >= nextMonthStart || now < monthStart) {
        const d = new Date(now);
        monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
        nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
      }
      lastNow = now;
      head = fixed + hex32(now - monthStart);
      headHash = 0;
      for (let i = 0; i < head.length; i++) {
        const c = head.charCodeAt(i);
        headWords[i >> 2] = (headWords[i >> 2]! << 8) | c;
        headHash = (Math.imul(31, headHash) + c) | 0;
      }
    }
    const c = counter;
    counter = (counter + 1) & 0xffff;
    // hashCode(head + 4 chars) = hashCode(head) * 31^4 + hashCode(the 4 chars), mod 2^32
    lastHash = (Math.imul(headHash, 923521) + HEX2_HASH[c >> 8]! * 961 + HEX2_HASH[c & 0xff]!) | 0;
    return c;
  };
  return {
    length,
    next() {
      const c = advance(o.clock());
      return head + HEX2[c >> 8]! + HEX2[c & 0xff]!;
    },
    nextInto(target, at, now = o.clock()) {
      const c = advance(now);
      const n = headWords.length;
      for (let i = 0; i < n; i++) target.setInt32(at + i * 4, headWords[i]!);
      target.setUint16(at + n * 4, HEX2_WORD[c >> 8]!);
      target.setUint16(at + n * 4 + 2, HEX2_WORD[c & 0xff]!);
      return c;
    },
    lastHead: () => head,
    lastHashCode: () => lastHash,
  };
}

/** The id nextInto made: its head (lastHead()) and its counter. */
export function uniqKeyText(head: string, counter: number): string {
  return head + HEX2[(counter >> 8) & 0xff]! + HEX2[counter & 0xff]!;
}

function hexByte(b: number): string {
  return HEX2[b]!;
}

function hex32(v: number): string {
  return HEX2[(v >>> 24) & 0xff]! + HEX2[(v >>> 16) & 0xff]! + HEX2[(v >>> 8) & 0xff]! + HEX2[v & 0xff]!;
}
