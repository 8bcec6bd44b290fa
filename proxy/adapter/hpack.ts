import { createHuffmanTree, decodeHuffman, HuffmanError, type HuffmanTree } from "./hpack-huffman.ts";

/**
 * HPACK (RFC 7541) for the gRPC server: a full decoder (static and dynamic table, Huffman strings, table size
 * updates) for request header blocks, and a minimal encoder for responses that never touches the peer's
 * dynamic table (literals without indexing, static names where there is one), so its blocks can be built once
 * and reused. Header names and values are latin1 strings, byte for byte.
 */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** A header block the decoder refused: a COMPRESSION_ERROR for the whole connection. */
export class HpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

export type HeaderList = (readonly [name: string, value: string])[];

const ENTRY_OVERHEAD = 32;

/** One connection's request-side decoder; its dynamic table lives as long as the connection. */
export class HpackDecoder {
  readonly #huffman: HuffmanTree;
  /** Oldest first from #first on: dynamic index 62 is the last entry (a queue, so inserts and evictions are O(1)). */
  #entries: (readonly [string, string])[] = [];
  #first = 0;
  #size = 0;
  #maxSize: number;
  readonly #limit: number;

  /** `limit` is the SETTINGS_HEADER_TABLE_SIZE this side advertised (the most the peer may ask for). */
  constructor(limit = 4096, huffman: HuffmanTree = createHuffmanTree()) {
    this.#limit = limit;
    this.#maxSize = limit;
    this.#huffman = huffman;
  }

  get tableSize(): number {
    return this.#size;
  }

  /** Decodes a complete header block; throws HpackError. */
  decode(block: Uint8Array): HeaderList {
    const out: HeaderList = [];
    let at = 0;
    const int = (prefixBits: number): number => {
      const mask = (1 << prefixBits) - 1;
      let value = block[at++] & mask;
      if (value < mask) return value;
      let shift = 0;
      for (;;) {
        if (at >= block.length) throw new HpackError("truncated integer");
        const b = block[at++];
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
        if (shift > 28) throw new HpackError("integer too large");
      }
      return value;
    };
    const str = (): string => {
      if (at >= block.length) throw new HpackError("truncated string");
      const huffman = (block[at] & 0x80) !== 0;
      const length = int(7);
      const end = at + length;
      if (end > block.length) throw new HpackError("truncated string");
      let s: string;
      if (huffman) {
        try {
          s = decodeHuffman(this.#huffman, block, at, end);
        } catch (err) {
          throw new HpackError(err instanceof HuffmanError ? err.message : String(err));
        }
      } else s = latin1(block, at, end);
      at = end;
      return s;
    };
    let sawField = false;
    while (at < block.length) {
      const b = block[at];
      if (b & 0x80) {
        out.push(this.#entry(int(7)));
        sawField = true;
      } else if (b & 0x40) {
        const index = int(6);
        const name = index === 0 ? str() : this.#entry(index)[0];
        const field = [name, str()] as const;
        this.#insert(field);
        out.push(field);
        sawField = true;
      } else if (b & 0x20) {
        // Size updates come first in a block (RFC 7541 4.2).
        if (sawField) throw new HpackError("dynamic table size update after a header field");
        const size = int(5);
        if (size > this.#limit) throw new HpackError(`dynamic table size ${size} exceeds ${this.#limit}`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // 0000: without indexing, 0001: never indexed; both leave the table alone.
        const index = int(4);
        const name = index === 0 ? str() : this.#entry(index)[0];
        out.push([name, str()]);
        sawField = true;
      }
    }
    return out;
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const at = this.#entries.length - (index - STATIC_TABLE.length);
    if (at < this.#first) throw new HpackError(`header index ${index} is not in the table`);
    return this.#entries[at];
  }

  #insert(field: readonly [string, string]): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    if (size > this.#maxSize) {
      // An entry larger than the table empties it and is not added (RFC 7541 4.4).
      this.#entries = [];
      this.#first = 0;
      this.#size = 0;
      return;
    }
    this.#evict(size);
    this.#entries.push(field);
    this.#size += size;
  }

  #evict(room: number): void {
    while (this.#size + room > this.#maxSize && this.#first < this.#entries.length) {
      const [name, value] = this.#entries[this.#first++];
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
    if (this.#first > 64 && this.#first * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#first);
      this.#first = 0;
    }
  }
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Short strings: a loop beats the TextDecoder call overhead.
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
}

const staticNameIndex = new Map<string, number>();
for (let i = STATIC_TABLE.length - 1; i >= 0; i--) staticNameIndex.set(STATIC_TABLE[i][0], i + 1);

/**
 * Encodes a header list without Huffman coding and without indexing (the peer's table stays empty), using
 * the fully indexed form for a static entry that matches (`:status: 200`).
 */
export function encodeHeaderBlock(headers: HeaderList): Uint8Array {
  const out: number[] = [];
  const int = (value: number, prefixBits: number, first: number) => {
    const mask = (1 << prefixBits) - 1;
    if (value < mask) {
      out.push(first | value);
      return;
    }
    out.push(first | mask);
    let v = value - mask;
    while (v >= 128) {
      out.push((v % 128) + 128);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const str = (s: string) => {
    int(s.length, 7, 0);
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  };
  for (const [name, value] of headers) {
    const full = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (full >= 0 && value !== "") {
      int(full + 1, 7, 0x80);
      continue;
    }
    const index = staticNameIndex.get(name);
    if (index !== undefined) int(index, 4, 0);
    else {
      out.push(0);
      str(name);
    }
    str(value);
  }
  return Uint8Array.from(out);
}
