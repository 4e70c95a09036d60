import type { FittedCrossed } from './fitted-spec.js';
import { hashBucket, murmur3Words } from './hash.js';
import type { SlotBatch, SlotCodes } from './codes.js';
import { compareStrings } from './stats.js';

/**
 * Crossed columns. A cross reads the values of its components (categorical values as strings, bucketized
 * values as their bucket id "1", "2", ...), never their vocabulary ids, so a component's vocabulary cut-off
 * does not change the cross. Any missing component makes the cross missing (id 0).
 *
 * - hashed: id = 1 + murmur3Words([h_1, ..., h_k]) mod numBuckets, where h_i = murmur3String(value_i);
 * - vocabulary: the tuple of values looked up in the fitted list of tuples (0 when absent).
 *
 * `commutative: true` sorts the components first (hashes ascending as unsigned integers, values in string
 * order), so (a, b) and (b, a) get the same id; otherwise the declared component order counts.
 */

export type CrossEncoding = FittedCrossed['encoding'];

/** Tokens of row i into `out`; false when a component is missing. Sorted when commutative. */
function rowTokens(slots: readonly Int32Array[], comps: readonly SlotCodes[], i: number, commutative: boolean, out: string[]): boolean {
  const k = slots.length;
  for (let c = 0; c < k; c++) {
    const s = slots[c]![i]!;
    if (s < 0) return false;
    out[c] = comps[c]!.slotToken[s]!;
  }
  if (commutative) out.sort(compareStrings);
  return true;
}

export class CrossEncoder {
  private readonly words: Uint32Array;
  private readonly tokens: string[];
  private readonly trie: Map<string, unknown> | null;

  constructor(
    private readonly comps: readonly SlotCodes[],
    private readonly commutative: boolean,
    private readonly encoding: CrossEncoding,
  ) {
    this.words = new Uint32Array(comps.length);
    this.tokens = new Array<string>(comps.length).fill('');
    this.trie = encoding.kind === 'vocabulary' ? buildTrie(encoding.values) : null;
  }

  /** Cross ids of n rows, given the SlotBatch of every component (in component order). */
  encode(batches: readonly SlotBatch[], n: number): Int32Array {
    const ids = new Int32Array(n);
    const slots = batches.map((b) => b.slots);
    const k = slots.length;
    if (this.trie !== null) {
      const out = this.tokens;
      for (let i = 0; i < n; i++) {
        if (!rowTokens(slots, this.comps, i, this.commutative, out)) continue;
        let node: unknown = this.trie;
        for (let c = 0; c < k && node !== undefined; c++) node = (node as Map<string, unknown>).get(out[c]!);
        ids[i] = typeof node === 'number' ? node : 0;
      }
      return ids;
    }
    const numBuckets = (this.encoding as { numBuckets: number }).numBuckets;
    const hashes = this.comps.map((c) => c.slotHash);
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

/** Counts value tuples of a vocabulary cross while fitting. */
export class CrossCounter {
  private readonly root = new Map<string, unknown>();
  private readonly tokens: string[];

  constructor(
    private readonly comps: readonly SlotCodes[],
    private readonly commutative: boolean,
  ) {
    this.tokens = new Array<string>(comps.length).fill('');
  }

  add(batches: readonly SlotBatch[], n: number): void {
    const slots = batches.map((b) => b.slots);
    const out = this.tokens;
    const last = out.length - 1;
    for (let i = 0; i < n; i++) {
      if (!rowTokens(slots, this.comps, i, this.commutative, out)) continue;
      let node = this.root;
      for (let c = 0; c < last; c++) {
        let next = node.get(out[c]!) as Map<string, unknown> | undefined;
        if (next === undefined) node.set(out[c]!, (next = new Map()));
        node = next;
      }
      node.set(out[last]!, ((node.get(out[last]!) as number | undefined) ?? 0) + 1);
    }
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
