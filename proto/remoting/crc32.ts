/** CRC-32 (IEEE 802.3, what java.util.zip.CRC32 computes). */

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const TABLE = makeTable();

/** Unsigned CRC-32 of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** RocketMQ's UtilAll.crc32: the CRC-32 with the sign bit cleared, as carried in `bodyCrc32` headers. */
export function rocketmqCrc32(data: Uint8Array): number {
  return crc32(data) & 0x7fffffff;
}
