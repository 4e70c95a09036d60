import { decodeUtf8 } from '../data/utf8-values.js';
import { finalize, mixH, mixK } from './hash.js';

/**
 * Byte-string keys -> slots and ids, for string columns held as UTF-8 bytes (Utf8Values). A Map<string> would
 * need the strings; this table takes a key as a range of a byte array. Open addressing with linear probing over
 * the keys' murmur3 hashes, the hash the slot keeps anyway, so every value is hashed once.
 *
 * Slots are numbered in order of insertion and a slot's record is what a lookup reads: 16 bytes holding the
 * key's first 8 bytes, its length and its id. A hit on a key of up to 8 bytes (all Criteo ids) reads the
 * probed position and that record and nothing else; longer keys are compared on in a byte arena. Lookups in 26
 * tables of up to ~70k keys each are bound by cache misses, so what a hit touches is kept this small. Nothing
 * is allocated per lookup and the table keeps no reference to the chunk a key came from.
 */

/** Int32 fields per record: the key's first two little-endian words (zero padded), its length, its id. */
const STRIDE = 4;
const W0 = 0;
const W1 = 1;
const LENGTH = 2;
const ID = 3;
/** Key bytes held in the record. */
const HEAD = 8;
/** Length of a placeholder record (a slot made from a string or a number, which no key matches). */
const NO_KEY = -1;

export class ByteSlotTable {
  /** Record (= slot) + 1 per position, 0 = empty. */
  private table: Int32Array;
  private mask: number;
  private records: Int32Array;
  /** Per record: the key's hash (read only to rehash) and, for keys longer than HEAD, its offset in `arena`. */
  private hashes: Int32Array;
  private arenaAt: Int32Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  private count = 0;
  /** The key of the last missed lookup: hash, first words, empty position. */
  private missHash = 0;
  private missW0 = 0;
  private missW1 = 0;
  private missAt = -1;

  constructor(initialKeys = 1024) {
    const size = nextPowerOfTwo(Math.max(16, initialKeys * 2));
    this.table = new Int32Array(size);
    this.mask = size - 1;
    this.records = new Int32Array(initialKeys * STRIDE);
    this.hashes = new Int32Array(initialKeys);
    this.arenaAt = new Int32Array(initialKeys);
    this.arena = new Uint8Array(1024);
  }

  /** Records so far: the next slot number. */
  get size(): number {
    return this.count;
  }

  /** The slot of key `data[start, end)`, or -1 (then `insert` may add it). */
  lookup(data: Uint8Array, start: number, end: number): number {
    // murmur3 (hash.ts), written out to keep the key's first two words, which the probe compares.
    const len = end - start;
    let h = 0;
    let w0 = 0;
    let w1 = 0;
    let i = start;
    const blocks = start + (len & ~3);
    if (i < blocks) {
      w0 = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      h = mixH(h, w0);
      i += 4;
      if (i < blocks) {
        w1 = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
        h = mixH(h, w1);
        for (i += 4; i < blocks; i += 4) h = mixH(h, data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      }
    }
    const tail = len & 3;
    if (tail > 0) {
      let k = data[i]!;
      if (tail > 1) k |= data[i + 1]! << 8;
      if (tail > 2) k |= data[i + 2]! << 16;
      if (len < 4) w0 = k;
      else if (len < 8) w1 = k;
      h ^= mixK(k);
    }
    h = finalize(h, len) | 0;
    const rec = this.records;
    const table = this.table;
    const mask = this.mask;
    let pos = h & mask;
    for (;;) {
      const e = table[pos]! - 1;
      if (e < 0) break;
      const r = e * STRIDE;
      if (rec[r + W0] === w0 && rec[r + W1] === w1 && rec[r + LENGTH] === len && (len <= HEAD || this.tailEqual(e, data, start, len))) return e;
      pos = (pos + 1) & mask;
    }
    this.missHash = h;
    this.missW0 = w0;
    this.missW1 = w1;
    this.missAt = pos;
    return -1;
  }

  /** murmur3 hash of the key of the last missed lookup. */
  get lastMissHash(): number {
    return this.missHash >>> 0;
  }

  idAt(slot: number): number {
    return this.records[slot * STRIDE + ID]!;
  }

  /** Adds the key of the last missed lookup (same arguments, nothing added in between) as the next slot. */
  insert(data: Uint8Array, start: number, end: number, id: number): number {
    const len = end - start;
    const e = this.addRecord(this.missW0, this.missW1, len, id);
    this.hashes[e] = this.missHash;
    if (len > HEAD) this.arenaAt[e] = this.store(data, start, len);
    this.table[this.missAt] = e + 1;
    this.missAt = -1;
    if (this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    return e;
  }

  /** Takes the next slot for a value no key stands for (the caller made that slot from a string or a number). */
  skip(): void {
    this.addRecord(0, 0, NO_KEY, 0);
  }

  /** The key of a slot made by `insert`, decoded. */
  keyString(slot: number): string {
    const r = slot * STRIDE;
    const len = this.records[r + LENGTH]!;
    if (len > HEAD) return decodeUtf8(this.arena, this.arenaAt[slot]!, this.arenaAt[slot]! + len);
    const head = new Uint8Array(HEAD);
    for (let j = 0; j < len; j++) head[j] = (this.records[r + (j >> 2)]! >>> ((j & 3) * 8)) & 0xff;
    return decodeUtf8(head, 0, len);
  }

  /** Forgets every key and slot (the arrays keep their size). */
  clear(): void {
    this.table.fill(0);
    this.count = 0;
    this.arenaUsed = 0;
    this.missAt = -1;
  }

  private addRecord(w0: number, w1: number, len: number, id: number): number {
    const e = this.count;
    if (e === this.hashes.length) {
      this.records = grown(this.records, this.records.length * 2);
      this.hashes = grown(this.hashes, this.hashes.length * 2);
      this.arenaAt = grown(this.arenaAt, this.arenaAt.length * 2);
    }
    const r = e * STRIDE;
    this.records[r + W0] = w0;
    this.records[r + W1] = w1;
    this.records[r + LENGTH] = len;
    this.records[r + ID] = id;
    this.count = e + 1;
    return e;
  }

  /** Key bytes past the head equal (the length and head already do). */
  private tailEqual(e: number, data: Uint8Array, start: number, len: number): boolean {
    const arena = this.arena;
    const at = this.arenaAt[e]!;
    for (let j = HEAD; j < len; j++) if (arena[at + j] !== data[start + j]) return false;
    return true;
  }

  private store(data: Uint8Array, start: number, len: number): number {
    const at = this.arenaUsed;
    if (at + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, at + len));
      a.set(this.arena.subarray(0, at));
      this.arena = a;
    }
    this.arena.set(data.subarray(start, start + len), at);
    this.arenaUsed = at + len;
    return at;
  }

  private rehash(size: number): void {
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      if (this.records[e * STRIDE + LENGTH] === NO_KEY) continue;
      let pos = this.hashes[e]! & mask;
      while (table[pos] !== 0) pos = (pos + 1) & mask;
      table[pos] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

function grown(a: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n);
  out.set(a);
  return out;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
