/**
 * HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: codes are assigned in order of (length,
 * symbol), so the 257 code lengths below (symbol 0..255, then EOS; each character is 48 + length) define it.
 * Only decoding is needed: the server's own header blocks are written without Huffman coding.
 */
const CODE_LENGTHS =
  "=GLLLLLLLHNLLNLLLLLLLLNLLLLLLLLL6::<=68;::8;8666555666666678?6<:=67777777777777777777777878=C=>6?56565666577666567655677777?;>=LDFDDFFFGFGGGGGHGHHFGHGGGGEFGFGGHFEDFFGGEGFFHEFGGEEFEGFGGDFFFGFFGJJDCFGFIJJJKKJHICEJKKJKHEEJJLKKKDHDEFEEGFFIIHHJGJKJJKKKKKLKKKKKJN";

const EOS = 256;

export interface HuffmanTree {
  /** children[2 * node + bit]: the next node, or -(symbol + 1) at a leaf; 0 = no such code. */
  children: Int32Array;
  /**
   * The same code walked 4 bits at a time: for state (node) and nibble, `next` is the node reached (after
   * emitting `emit` - 1 when `emit` > 0; no code is shorter than 5 bits, so a nibble ends at most one symbol),
   * and `fail` marks an invalid code or EOS. `accepting[node]`: a string may end here (padding is a prefix
   * of EOS: at most 7 bits, all ones).
   */
  next: Uint16Array;
  emit: Uint16Array;
  fail: Uint8Array;
  accepting: Uint8Array;
}

/** The symbol -> [code, length] table, built from the lengths (exported for tests). */
export function huffmanCodes(): [number, number][] {
  const lengths = [...CODE_LENGTHS].map((c) => c.charCodeAt(0) - 48);
  const order = lengths.map((_, s) => s).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes: [number, number][] = new Array(lengths.length);
  let code = 0;
  let prev = lengths[order[0]];
  order.forEach((s, i) => {
    if (i > 0) code = (code + 1) * 2 ** (lengths[s] - prev);
    prev = lengths[s];
    codes[s] = [code, lengths[s]];
  });
  return codes;
}

/** The decoding tree; built once per server (it is a few KiB), not at module load. */
export function createHuffmanTree(): HuffmanTree {
  const children = new Int32Array(2 * 512);
  let nodes = 1;
  huffmanCodes().forEach(([code, length], symbol) => {
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const b = Math.floor(code / 2 ** bit) & 1;
      const slot = 2 * node + b;
      if (bit === 0) children[slot] = -(symbol + 1);
      else {
        if (children[slot] === 0) children[slot] = nodes++;
        node = children[slot];
      }
    }
  });
  // Nibble tables over the internal nodes; a node's depth and whether its path is all ones decide acceptance.
  const next = new Uint16Array(nodes * 16);
  const emit = new Uint16Array(nodes * 16);
  const fail = new Uint8Array(nodes * 16);
  const accepting = new Uint8Array(nodes);
  const depth = new Uint8Array(nodes);
  const ones = new Uint8Array(nodes);
  ones[0] = 1;
  for (let node = 0; node < nodes; node++)
    for (const b of [0, 1]) {
      const child = children[2 * node + b];
      if (child > 0) {
        depth[child] = depth[node] + 1;
        ones[child] = ones[node] & b;
      }
    }
  for (let node = 0; node < nodes; node++) {
    accepting[node] = depth[node] <= 7 && ones[node] === 1 ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let at = node;
      let sym = 0;
      let bad = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const c = children[2 * at + ((nibble >> bit) & 1)];
        if (c === 0 || c === -(EOS + 1)) {
          bad = 1;
          break;
        }
        if (c < 0) {
          sym = -c; // symbol + 1
          at = 0;
        } else at = c;
      }
      const i = node * 16 + nibble;
      next[i] = at;
      emit[i] = sym;
      fail[i] = bad;
    }
  }
  return { children, next, emit, fail, accepting };
}

export class HuffmanError extends Error {}

/**
 * Decodes bytes[start, end) to a latin1 string. Padding must be at most 7 bits, all ones (a prefix of EOS);
 * an EOS symbol inside the string is an error (RFC 7541 5.2).
 */
export function decodeHuffman(tree: HuffmanTree, bytes: Uint8Array, start: number, end: number): string {
  const { next, emit, fail, accepting } = tree;
  let out = "";
  let node = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    let t = node * 16 + (byte >> 4);
    if (fail[t]) throw new HuffmanError("invalid Huffman code or EOS in a string");
    if (emit[t]) out += String.fromCharCode(emit[t] - 1);
    node = next[t];
    t = node * 16 + (byte & 15);
    if (fail[t]) throw new HuffmanError("invalid Huffman code or EOS in a string");
    if (emit[t]) out += String.fromCharCode(emit[t] - 1);
    node = next[t];
  }
  if (!accepting[node]) throw new HuffmanError("invalid Huffman padding");
  return out;
}
