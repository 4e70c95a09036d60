import { assert } from '../core/errors.js';
import type { RowChunk } from '../data/types.js';
import { readSource } from './derive.js';
import { BucketCodes, CategoricalCodes, ListCodes, idFunction, type SlotBatch, type SlotCodes } from './codes.js';
import { CrossEncoder } from './cross.js';
import type { FittedColumn, FittedSpec } from './fitted-spec.js';
import { denseLayout } from './sizes.js';

/**
 * A fitted spec compiled once into the encoders transform runs (value caches, boundary arrays, crossed-column
 * tries), cached per spec object. The caches live as long as the spec object does.
 */
export interface Plan {
  readonly codes: ReadonlyMap<string, CategoricalCodes>;
  readonly buckets: ReadonlyMap<string, BucketCodes>;
  /** Items of the multi-valued columns (their value caches are the ones in `codes`). */
  readonly lists: ReadonlyMap<string, ListCodes>;
  readonly crosses: ReadonlyMap<string, CrossEncoder>;
  readonly wideKeys: readonly string[];
  /** The very array `wideKeys` is when the same columns feed both parts (transform then lays them out once). */
  readonly deepKeys: readonly string[];
  readonly denseWidth: number;
  readonly denseOffsets: ReadonlyMap<string, number>;
  readonly byName: ReadonlyMap<string, FittedColumn>;
}

const plans = new WeakMap<FittedSpec, Plan>();

export function compile(spec: FittedSpec): Plan {
  const cached = plans.get(spec);
  if (cached !== undefined) return cached;
  const codes = new Map<string, CategoricalCodes>();
  const buckets = new Map<string, BucketCodes>();
  const lists = new Map<string, ListCodes>();
  const crosses = new Map<string, CrossEncoder>();
  const byName = new Map<string, FittedColumn>();
  const crossed = new Set(spec.columns.flatMap((c) => (c.type === 'crossed' ? c.components : [])));
  for (const c of spec.columns) {
    byName.set(c.name, c);
    if (c.type === 'bucketized') buckets.set(c.name, new BucketCodes(c.source, c.name, c.boundaries));
    else if (c.type === 'categorical' || c.type === 'multi-valued' || c.type === 'sequence') {
      // A hashed categorical that no cross reads needs no slots: its ids are hashed straight from the bytes.
      const direct = c.type === 'categorical' && c.encoding.kind === 'hash' && !crossed.has(c.name) ? { directBuckets: c.encoding.numBuckets } : {};
      const cc = new CategoricalCodes(c.type === 'categorical' ? readSource(c) : c.source, c.name, idFunction(c.encoding), direct);
      codes.set(c.name, cc);
      if (c.type === 'multi-valued') lists.set(c.name, new ListCodes(cc, c.source, c.name, c.separator));
    }
  }
  const slotCodes = (name: string): SlotCodes => (lists.get(name) ?? codes.get(name) ?? buckets.get(name)) as SlotCodes;
  for (const c of spec.columns) {
    if (c.type === 'crossed') crosses.set(c.name, new CrossEncoder(c.components.map(slotCodes), c.commutative, c.encoding, c.bag?.maxCrossIds ?? null));
  }
  const wideKeys = spec.columns.filter((c) => c.feeds.includes('wide')).map((c) => c.name);
  const deepKeys = spec.columns.filter((c) => c.feeds.includes('deep') && c.type !== 'numeric' && c.type !== 'sequence').map((c) => c.name);
  const denseOffsets = new Map<string, number>();
  let offset = 0;
  for (const c of spec.columns) {
    if (c.type !== 'numeric' || !c.feeds.includes('deep')) continue;
    denseOffsets.set(c.name, offset);
    offset += c.missing.indicator ? 2 : 1;
  }
  const plan: Plan = {
    codes,
    buckets,
    lists,
    crosses,
    wideKeys,
    deepKeys: sameKeys(deepKeys, wideKeys) ? wideKeys : deepKeys,
    denseWidth: denseLayout(spec).width,
    denseOffsets,
    byName,
  };
  plans.set(spec, plan);
  return plan;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/**
 * Memoized SlotBatches of the categorical, bucketized and multi-valued columns of one chunk (crossed columns
 * share their components').
 */
export class ChunkSlots {
  private readonly memo = new Map<string, SlotBatch>();

  constructor(
    private readonly plan: Plan,
    private readonly chunk: RowChunk,
    private readonly rows: Int32Array | null,
    private readonly n: number,
  ) {}

  get(name: string): SlotBatch {
    let b = this.memo.get(name);
    if (b === undefined) {
      const codes: SlotCodes | undefined = this.plan.lists.get(name) ?? this.plan.codes.get(name) ?? this.plan.buckets.get(name);
      assert(codes !== undefined, `no categorical, bucketized or multi-valued column '${name}'`);
      b = codes.encode(this.chunk, this.rows, this.n);
      this.memo.set(name, b);
    }
    return b;
  }
}
