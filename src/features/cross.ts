import type { FittedCrossed } from './fitted-spec.js';
import { hashBucket, murmur3Words } from './hash.js';
import type { SlotBatch, SlotCodes } from './codes.js';
import { compareStrings } from './stats.js';

/**
 * Crossed columns. A cross reads the values of its components (categorical values as strings, bucketized
 * values as their bucket id "1", "2", ..., multi-valued items as strings), never their vocabulary ids, so a
 * component's vocabulary cut-off does not change the cross.
 *
 * - hashed: id = 1 + murmur3Words([h_1, ..., h_k]) mod numBuckets, where h_i = murmur3String(value_i);
 * - vocabulary: the tuple of values looked up in the fitted list of tuples (0 when absent).
 *
 * `commutative: true` sorts the components first (hashes ascending as unsigned integers, values in string
 * order), so (a, b) and (b, a) get the same id; otherwise the declared component order counts.
 *
 * Single-valued crosses give one id per row; a missing component makes it 0. A cross with a multi-valued
 * component gives a bag per row: the id of every tuple of the cartesian product of the components' values
 * (a single-valued component contributes its one value), enumerated in list order with the first component
 * slowest, e.g. apps [a, b] x country c -> [id(a, c), id(b, c)]. A missing value or an empty list makes the
 * bag empty. Only the first `maxCrossIds` tuples of a row are kept; the encoder counts the rows it cut.
 */

export type CrossEncoding = FittedCrossed['encoding'];

/** Tokens of row i into `out`; false when a component is missing. Sorted when commutative. */
function rowTokens(slots: readonly Int32Array[], comps: readonly SlotCodes[], i: number, commutative: boolean, out: string[]): boolean {
  const k = slots.length;
  for (let c = 0; c < k; c++) {
    const s = slots[c]![i]!;
    if (s < 0) return false;
    out[c] = comps[c]!.tokenOf(s);
  }
  if (commutative) out.sort(compareStrings);
  return true;
}

/** Tokens of the tuple at slot positions `pos` into `out`, sorted when commutative. */
function tupleTokens(slots: readonly Int32Array[], comps: readonly SlotCodes[], pos: Int32Array, commutative: boolean, out: string[]): void {
  for (let c = 0; c < out.length; c++) out[c] = comps[c]!.tokenOf(slots[c]![pos[c]!]!);
  if (commutative) out.sort(compareStrings);
}

/**
 * The cartesian product of one row's component values, walked in list order (first component slowest):
 * `pos[c]` is the position, in component c's `slots`, of the current tuple's value.
 */
class Product {
  readonly pos: Int32Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;

  constructor(k: number) {
    this.pos = new Int32Array(k);
    this.lo = new Int32Array(k);
    this.hi = new Int32Array(k);
  }

  /** Starts row i at its first tuple; returns the number of tuples (0 when a value is missing or a list empty). */
  start(batches: readonly SlotBatch[], i: number): number {
    let total = 1;
    for (let c = 0; c < batches.length; c++) {
      const b = batches[c]!;
      const off = b.offsets;
      const lo = off === null ? i : off[i]!;
      const hi = off === null ? (b.slots[i]! < 0 ? i : i + 1) : off[i + 1]!;
      this.lo[c] = lo;
      this.hi[c] = hi;
      this.pos[c] = lo;
      total *= hi - lo;
    }
    return total;
  }

  next(): void {
    for (let c = this.pos.length - 1; c >= 0; c--) {
      if (++this.pos[c]! < this.hi[c]!) return;
      this.pos[c] = this.lo[c]!;
    }
  }
}

/** Cross ids of n rows: one per row (`offsets` null) or bags, and the number of rows cut at `maxCrossIds`. */
export interface CrossIds {
  readonly ids: Int32Array;
  readonly offsets: Int32Array | null;
  readonly truncated: number;
}

export class CrossEncoder {
  private readonly words: Uint32Array;
  private readonly tokens: string[];
  private readonly trie: Map<string, unknown> | null;
  private readonly hashes: readonly (readonly number[])[];
  private readonly product: Product;

  /** `maxCrossIds` null: every component is single-valued (one id per row). */
  constructor(
    private readonly comps: readonly SlotCodes[],
    private readonly commutative: boolean,
    private readonly encoding: CrossEncoding,
    private readonly maxCrossIds: number | null,
  ) {
    this.words = new Uint32Array(comps.length);
    this.tokens = new Array<string>(comps.length).fill('');
    this.trie = encoding.kind === 'vocabulary' ? buildTrie(encoding.values) : null;
    this.hashes = comps.map((c) => c.slotHash);
    this.product = new Product(comps.length);
  }

  /** Cross ids of n rows, given the SlotBatch of every component (in component order). */
  encode(batches: readonly SlotBatch[], n: number): CrossIds {
    if (this.maxCrossIds !== null) return this.encodeBags(batches, n, this.maxCrossIds);
    return { ids: this.encodeSingle(batches, n), offsets: null, truncated: 0 };
  }

  private encodeSingle(batches: readonly SlotBatch[], n: number): Int32Array {
    const ids = new Int32Array(n);
    const slots = batches.map((b) => b.slots);
    const k = slots.length;
    if (this.trie !== null) {
      const out = this.tokens;
      for (let i = 0; i < n; i++) {
        if (!rowTokens(slots, this.comps, i, this.commutative, out)) continue;
        ids[i] = lookup(this.trie, out);
      }
      return ids;
    }
    const numBuckets = (this.encoding as { numBuckets: number }).numBuckets;
    const hashes = this.hashes;
    const w = this.words;
    outer: for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const s = slots[c]![i]!;
        if (s < 0) continue outer;
        w[c] = hashes[c]![s]!;
      }
      if (this.commutative) sortWords(w, k);
      ids[i] = hashBucket(murmur3Words(w, k), numBuckets);
    }
    return ids;
  }

  private encodeBags(batches: readonly SlotBatch[], n: number, max: number): CrossIds {
    const slots = batches.map((b) => b.slots);
    const k = slots.length;
    const offsets = new Int32Array(n + 1);
    let ids = new Int32Array(Math.max(16, n * 2));
    let m = 0;
    let truncated = 0;
    const walk = this.product;
    const pos = walk.pos;
    const trie = this.trie;
    const numBuckets = trie === null ? (this.encoding as { numBuckets: number }).numBuckets : 0;
    // Hashed: the hash of every value, by its position in its component's slots (typed, for the inner loop).
    const valueHashes = trie === null ? slots.map((sl, c) => slotHashes(sl, this.hashes[c]!)) : [];
    const w = this.words;
    for (let i = 0; i < n; i++) {
      const total = walk.start(batches, i);
      const count = total > max ? max : total;
      if (total > max) truncated++;
      if (m + count > ids.length) {
        const grown = new Int32Array(Math.max(ids.length * 2, m + count));
        grown.set(ids);
        ids = grown;
      }
      if (trie === null) {
        for (let t = 0; t < count; t++, walk.next()) {
          for (let c = 0; c < k; c++) w[c] = valueHashes[c]![pos[c]!]!;
          if (this.commutative) sortWords(w, k);
          ids[m++] = hashBucket(murmur3Words(w, k), numBuckets);
        }
      } else {
        for (let t = 0; t < count; t++, walk.next()) {
          tupleTokens(slots, this.comps, pos, this.commutative, this.tokens);
          ids[m++] = lookup(trie, this.tokens);
        }
      }
      offsets[i + 1] = m;
    }
    return { ids: ids.subarray(0, m), offsets, truncated };
  }
}

/** `hashOfSlot[slots[j]]` for every j (0 for a missing value, which no tuple reads). */
function slotHashes(slots: Int32Array, hashOfSlot: readonly number[]): Uint32Array {
  const out = new Uint32Array(slots.length);
  for (let j = 0; j < slots.length; j++) {
    const s = slots[j]!;
    if (s >= 0) out[j] = hashOfSlot[s]!;
  }
  return out;
}

/** Id of a token tuple in a crossed vocabulary trie (0 when absent). */
function lookup(trie: Map<string, unknown>, tokens: readonly string[]): number {
  let node: unknown = trie;
  for (let c = 0; c < tokens.length && node !== undefined; c++) node = (node as Map<string, unknown>).get(tokens[c]!);
  return typeof node === 'number' ? node : 0;
}

function sortWords(w: Uint32Array, k: number): void {
  for (let i = 1; i < k; i++) {
    const v = w[i]!;
    let j = i - 1;
    while (j >= 0 && w[j]! > v) {
      w[j + 1] = w[j]!;
      j--;
    }
    w[j + 1] = v;
  }
}

function buildTrie(values: readonly (readonly string[])[]): Map<string, unknown> {
  const root = new Map<string, unknown>();
  values.forEach((tuple, id) => {
    let node = root;
    tuple.forEach((t, c) => {
      if (c === tuple.length - 1) node.set(t, id + 1);
      else {
        let next = node.get(t) as Map<string, unknown> | undefined;
        if (next === undefined) node.set(t, (next = new Map()));
        node = next;
      }
    });
  });
  return root;
}

/**
 * What `fit` learns of a crossed column: the value tuples of a vocabulary cross with their counts (every
 * occurrence, as transform would emit them), and for a cross with a multi-valued component the number of rows
 * cut at `maxCrossIds`.
 */
export class CrossCounter {
  private readonly root = new Map<string, unknown>();
  private readonly tokens: string[];
  private readonly product: Product;
  truncatedRows = 0;

  /** `countTuples` false: only count cut rows (a hashed cross fits nothing else). */
  constructor(
    private readonly comps: readonly SlotCodes[],
    private readonly commutative: boolean,
    private readonly countTuples: boolean,
    private readonly maxCrossIds: number | null,
  ) {
    this.tokens = new Array<string>(comps.length).fill('');
    this.product = new Product(comps.length);
  }

  add(batches: readonly SlotBatch[], n: number): void {
    const slots = batches.map((b) => b.slots);
    const out = this.tokens;
    const max = this.maxCrossIds;
    if (max === null) {
      for (let i = 0; i < n; i++) if (rowTokens(slots, this.comps, i, this.commutative, out)) this.count(out);
      return;
    }
    const walk = this.product;
    for (let i = 0; i < n; i++) {
      const total = walk.start(batches, i);
      if (total > max) this.truncatedRows++;
      if (!this.countTuples) continue;
      for (let t = 0; t < total && t < max; t++, walk.next()) {
        tupleTokens(slots, this.comps, walk.pos, this.commutative, out);
        this.count(out);
      }
    }
  }

  private count(out: readonly string[]): void {
    const last = out.length - 1;
    let node = this.root;
    for (let c = 0; c < last; c++) {
      let next = node.get(out[c]!) as Map<string, unknown> | undefined;
      if (next === undefined) node.set(out[c]!, (next = new Map()));
      node = next;
    }
    node.set(out[last]!, ((node.get(out[last]!) as number | undefined) ?? 0) + 1);
  }

  /** Every counted tuple with its count. */
  entries(): [string[], number][] {
    const out: [string[], number][] = [];
    const walk = (node: Map<string, unknown>, prefix: string[]): void => {
      for (const [t, v] of node) {
        if (typeof v === 'number') out.push([[...prefix, t], v]);
        else walk(v as Map<string, unknown>, [...prefix, t]);
      }
    };
    walk(this.root, []);
    return out;
  }
}

export function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const c = compareStrings(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
