/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320), slicing-by-8, so
 * checksumming a snapshot runs near memory speed. Node 20 has no zlib.crc32.
 */

const TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** CRC-32 of `bytes`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  // bytes up to a 4-byte boundary, then two aligned little-endian words per step
  const head = Math.min(n, (4 - (bytes.byteOffset & 3)) & 3);
  for (; i < head; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  const words = (n - i) >> 3;
  if (words > 0 && LITTLE_ENDIAN) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words * 2);
    for (let j = 0; j < w.length; j += 2) {
      const lo = (c ^ w[j]!) >>> 0;
      const hi = w[j + 1]!;
      c =
        t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^ t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^ t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
    }
    i += words * 8;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
