/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain), written out here so that hashed and crossed feature ids
 * are identical in Node and in browsers and never depend on a runtime's string hashing.
 *
 * - Strings are hashed over their UTF-8 bytes (lone surrogates become U+FFFD, as `TextEncoder` does), encoded
 *   on the fly without allocating.
 * - Feature ids always use seed 0; the seed parameter exists only to check published test vectors.
 * - A hash-bucket id is `1 + (h mod numBuckets)`, so it lies in [1, numBuckets] and id 0 stays free for
 *   missing values.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

// mixK, mixH and finalize are exported for hashers that keep the key's blocks as they go (slot-table.ts).

/** murmur3's mixing of one 4-byte block. */
export function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

export function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 of raw bytes (the reference form; `murmur3String` must agree with it on UTF-8). */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  return murmur3Range(bytes, 0, bytes.length, seed);
}

/** MurmurHash3 x86_32 of `bytes[start, end)`, without allocating (equal to `murmur3String` of UTF-8 text). */
export function murmur3Range(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  const n = end - start;
  const blocks = start + (n & ~3);
  let i = start;
  for (; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = mixH(h, k);
  }
  return finishBytes(h, bytes, i, n);
}

/** murmur3's last 0-3 bytes (from `bytes[i]`) of an n-byte key, then its finalization. */
function finishBytes(h: number, bytes: Uint8Array, i: number, n: number): number {
  const tail = n & 3;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k |= bytes[i + 1]! << 8;
    if (tail > 2) k |= bytes[i + 2]! << 16;
    h ^= mixK(k);
  }
  return finalize(h, n);
}

/**
 * `murmur3Range` over the same bytes read four at a time through `view` (a DataView of `bytes`' buffer at the
 * same byte offset): ~25% faster on short keys such as Criteo's 8-digit ids.
 */
export function murmur3View(view: DataView, bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  const n = end - start;
  const blocks = start + (n & ~3);
  let i = start;
  for (; i < blocks; i += 4) h = mixH(h, view.getInt32(i, true));
  return finishBytes(h, bytes, i, n);
}

// Streaming state of murmur3String (module-level so that hashing a string allocates nothing).
let sH = 0; // running hash
let sWord = 0; // bytes not yet mixed, little-endian
let sFilled = 0; // how many bytes sWord holds (0..3)

function pushByte(byte: number): void {
  sWord |= byte << (sFilled << 3);
  if (++sFilled === 4) {
    sH = mixH(sH, sWord);
    sWord = 0;
    sFilled = 0;
  }
}

/** MurmurHash3 x86_32 of the UTF-8 encoding of `s`, without allocating. */
export function murmur3String(s: string, seed = 0): number {
  sH = seed | 0;
  sWord = 0;
  sFilled = 0;
  let length = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      pushByte(c);
      length += 1;
    } else if (c < 0x800) {
      pushByte(0xc0 | (c >> 6));
      pushByte(0x80 | (c & 0x3f));
      length += 2;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          pushByte(0xf0 | (c >> 18));
          pushByte(0x80 | ((c >> 12) & 0x3f));
          pushByte(0x80 | ((c >> 6) & 0x3f));
          pushByte(0x80 | (c & 0x3f));
          length += 4;
          continue;
        }
        c = 0xfffd; // a lone surrogate is encoded as U+FFFD, as TextEncoder does
      }
      pushByte(0xe0 | (c >> 12));
      pushByte(0x80 | ((c >> 6) & 0x3f));
      pushByte(0x80 | (c & 0x3f));
      length += 3;
    }
  }
  let h = sH;
  if (sFilled > 0) h ^= mixK(sWord);
  return finalize(h, length);
}

/**
 * MurmurHash3 x86_32 of `n` 32-bit words taken as little-endian bytes (equal to `murmur3Bytes` over those
 * 4n bytes). Crossed features hash the hashes of their components with this.
 */
export function murmur3Words(words: Uint32Array, n: number, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < n; i++) h = mixH(h, words[i]!);
  return finalize(h, n * 4);
}

/**
 * The id of hash `h` in a table of `numBuckets` hash buckets: `1 + (h mod numBuckets)`, h taken as uint32.
 * Written as `u - floor(u / b) * b`, exact for u < 2^52: the nearest integer to u / b other than its floor is at
 * least 1 / b away, more than u / b's rounding error (u / b * 2^-53). V8 turns `u % b` on a uint32 held as a
 * double into a call to fmod, which made the modulo cost more than the hash on Criteo's 8-byte ids.
 */
export function hashBucket(h: number, numBuckets: number): number {
  const u = h >>> 0;
  return 1 + (u - Math.floor(u / numBuckets) * numBuckets);
}
