/**
 * Pre-encoded requests carry placeholder ids that each send makes unique in place (UNIQ_KEY, message_id): cheaper
 * than encoding a request per message, and the server still sees a distinct id on every message.
 */
const ascii = new TextEncoder();
const HEX = ascii.encode("0123456789ABCDEF");

/** 32 hex digits, the length of a RocketMQ UNIQ_KEY; a v2 message_id is "01" followed by it. */
export const ID_PLACEHOLDER = "F".repeat(32);

/** Offsets of every occurrence of `needle` in `haystack`. */
export function findAll(haystack: Uint8Array, needle: string): number[] {
  const n = ascii.encode(needle);
  const out: number[] = [];
  outer: for (let i = 0; i <= haystack.length - n.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    out.push(i);
    i += n.length - 1;
  }
  return out;
}

/** Writes unique 32-hex-digit ids over placeholders: 8 digits of a tag, 16 zeros, 8 digits of a sequence. */
export class IdStamper {
  private readonly tagHex: Uint8Array;
  private sequence = 0;

  constructor(tag: number) {
    this.tagHex = ascii.encode(`${(tag >>> 0).toString(16).toUpperCase().padStart(8, "0")}${"0".repeat(16)}`);
  }

  stamp(buf: Uint8Array, at: number): void {
    buf.set(this.tagHex, at);
    let s = this.sequence++ >>> 0;
    for (let i = 31; i >= 24; i--) {
      buf[at + i] = HEX[s & 15]!;
      s >>>= 4;
    }
  }
}
