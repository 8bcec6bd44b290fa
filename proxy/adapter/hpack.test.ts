import { describe, expect, test } from "bun:test";
import { encodeHeaderBlock, HpackDecoder, HpackError } from "./hpack.ts";
import { createHuffmanTree, decodeHuffman, huffmanCodes } from "./hpack-huffman.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"));

describe("HPACK decoder (RFC 7541 Appendix C)", () => {
  const requests: [string, string][] = [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ];

  test("C.3: requests without Huffman coding share a dynamic table", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("828684410f7777772e6578616d706c652e636f6d"))).toEqual(requests);
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex("828684be58086e6f2d6361636865"))).toEqual([
      ...requests,
      ["cache-control", "no-cache"],
    ]);
    expect(d.tableSize).toBe(110);
    expect(d.decode(hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"))).toEqual([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ]);
    expect(d.tableSize).toBe(164);
  });

  test("C.4: the same requests with Huffman-coded strings", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("828684418cf1e3c2e5f23a6ba0ab90f4ff"))).toEqual(requests);
    expect(d.decode(hex("828684be5886a8eb10649cbf"))).toEqual([...requests, ["cache-control", "no-cache"]]);
    expect(d.decode(hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")).at(-1)).toEqual([
      "custom-key",
      "custom-value",
    ]);
    expect(d.tableSize).toBe(164);
  });

  test("evicts the oldest entries when a size update shrinks the table", () => {
    const d = new HpackDecoder();
    d.decode(hex("828684410f7777772e6578616d706c652e636f6d"));
    d.decode(hex("828684be58086e6f2d6361636865"));
    // Size update to 60 (0x3f 0x1d) keeps only the newest entry (cache-control: no-cache, 53 bytes).
    expect(d.decode(hex("3f1d be"))).toEqual([["cache-control", "no-cache"]]);
    expect(d.tableSize).toBe(53);
    expect(() => d.decode(hex("bf"))).toThrow(HpackError);
  });

  test("refuses malformed blocks with HpackError", () => {
    const bad = [
      "80", // index 0
      "ff ff ff ff ff 0f", // integer overflow
      "c0", // index 64 with an empty dynamic table
      "41 05 61", // string shorter than its length
      "41 81 ff", // Huffman string that is all padding beyond 7 bits
      "3f e2 1f", // table size update to 4097, above the 4096 limit
      "82 20", // size update after a field
    ];
    for (const b of bad) expect(() => new HpackDecoder().decode(hex(b))).toThrow(HpackError);
  });
});

describe("Huffman code", () => {
  test("is RFC 7541's: spot checks of codes and lengths", () => {
    const codes = huffmanCodes();
    expect(codes.length).toBe(257);
    expect(codes["0".charCodeAt(0)]).toEqual([0x0, 5]);
    expect(codes["a".charCodeAt(0)]).toEqual([0x3, 5]);
    expect(codes[" ".charCodeAt(0)]).toEqual([0x14, 6]);
    expect(codes[0]).toEqual([0x1ff8, 13]);
    expect(codes[255]).toEqual([0x3ffffee, 26]);
    expect(codes[256]).toEqual([0x3fffffff, 30]);
  });

  test("decodes every byte value and refuses EOS inside a string", () => {
    const tree = createHuffmanTree();
    const codes = huffmanCodes();
    // Encode all 256 symbols, pad with ones, decode back.
    let bits = "";
    for (let s = 0; s < 256; s++) bits += codes[s][0].toString(2).padStart(codes[s][1], "0");
    bits += "1".repeat((8 - (bits.length % 8)) % 8);
    const bytes = new Uint8Array(bits.length / 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(bits.slice(8 * i, 8 * i + 8), 2);
    const text = decodeHuffman(tree, bytes, 0, bytes.length);
    expect([...text].map((c) => c.charCodeAt(0))).toEqual([...Array(256).keys()]);
    expect(() => decodeHuffman(tree, hex("ffffffff"), 0, 4)).toThrow();
  });
});

describe("HPACK encoder", () => {
  test("writes blocks any decoder reads back, leaving the peer's table empty", () => {
    const headers: [string, string][] = [
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["grpc-status", "13"],
      ["grpc-message", "x".repeat(300)],
    ];
    const block = encodeHeaderBlock(headers);
    expect(block[0]).toBe(0x88); // :status 200, fully indexed
    const d = new HpackDecoder();
    expect(d.decode(block)).toEqual(headers);
    expect(d.tableSize).toBe(0);
  });
});
