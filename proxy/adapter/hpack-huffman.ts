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
  return { children };
}

export class HuffmanError extends Error {}

/**
 * Decodes bytes[start, end) to a latin1 string. Padding must be at most 7 bits, all ones (a prefix of EOS);
 * an EOS symbol inside the string is an error (RFC 7541 5.2).
 */
export function decodeHuffman(tree: HuffmanTree, bytes: Uint8Array, start: number, end: number): string {
  const { children } = tree;
  let out = "";
  let node = 0;
  let depth = 0; // bits consumed since the last symbol
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      const next = children[2 * node + b];
      if (next === 0) throw new HuffmanError("invalid Huffman code");
      depth++;
      allOnes &&= b === 1;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw new HuffmanError("EOS in a Huffman-coded string");
        out += String.fromCharCode(symbol);
        node = 0;
        depth = 0;
        allOnes = true;
      } else node = next;
    }
  }
  if (depth > 7 || !allOnes) throw new HuffmanError("invalid Huffman padding");
  return out;
}
