import { WideDeepError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { RowChunk } from '../data/types.js';
import { numericColumn } from './chunk-access.js';
import { readSource } from './derive.js';
import { BucketCodes, CategoricalCodes, ListCodes, NO_ID, type SlotBatch, type SlotCodes } from './codes.js';
import type { FittedColumn, FittedIdEncoding, FittedNumeric } from './fitted-spec.js';
import { finiteInFloat32, numericOutput } from './float32.js';
import { preNormalize } from './numeric.js';
import type {
  IdEncodingConfig,
  ResolvedBucketized,
  ResolvedCategorical,
  ResolvedColumn,
  ResolvedConfig,
  ResolvedMultiValued,
  ResolvedNumeric,
  ResolvedSequence,
} from './resolved.js';
import { Moments, Reservoir, compareStrings, dedupeSorted, quantileBoundaries, selectVocabulary } from './stats.js';

/**
 * Streaming accumulators of `fit`, one per non-crossed column: value counts (vocabularies), moments
 * (standardization, mean fill) and seeded reservoirs (quantile boundaries, median fill). `finish` turns each
 * into its fitted column.
 */

export interface Accumulator {
  /** Adds the kept rows; returns the chunk's SlotBatch for columns crossed columns read. */
  add(chunk: RowChunk, rows: Int32Array | null, n: number): SlotBatch | null;
  finish(): FittedColumn;
}

export interface SlotAccumulator extends Accumulator {
  readonly codes: SlotCodes;
}

export function fitError(column: string, message: string, fix: string): WideDeepError {
  return new WideDeepError('DATA', `fit: column '${column}': ${message}`, { field: column, fix });
}

/**
 * The accumulator of one column. `crossRead`: a vocabulary cross, or a cross with a multi-valued component,
 * reads this column's values while fitting, so `add` must return the chunk's SlotBatch.
 */
export function makeAccumulator(c: Exclude<ResolvedColumn, { type: 'crossed' }>, cfg: ResolvedConfig, rng: Rng, crossRead: boolean): Accumulator {
  switch (c.type) {
    case 'categorical':
      return categoricalAccumulator(c, crossRead);
    case 'multi-valued':
    case 'sequence':
      return listAccumulator(c, crossRead);
    case 'bucketized':
      return bucketizedAccumulator(c, cfg, rng, crossRead);
    case 'numeric':
      return numericAccumulator(c, cfg, rng);
  }
}

const base = { embeddingDim: null };

function categoricalAccumulator(c: ResolvedCategorical, crossRead: boolean): SlotAccumulator {
  const codes = new CategoricalCodes(readSource(c), c.name, NO_ID);
  const counts: number[] = [];
  const acc: SlotAccumulator = {
    codes,
    add(chunk, rows, n) {
      if (c.encoding.kind !== 'vocabulary' && !crossRead) return null;
      const b = codes.encode(chunk, rows, n);
      if (c.encoding.kind === 'vocabulary') for (const s of b.slots) if (s >= 0) counts[s] = (counts[s] ?? 0) + 1;
      return b;
    },
    finish: () => ({
      type: 'categorical',
      name: c.name,
      source: c.source,
      ...(c.prefix !== null ? { prefix: c.prefix } : {}),
      feeds: [...c.feeds],
      ...base,
      encoding: finishEncoding(c.encoding, codes.tokens(), counts),
    }),
  };
  return acc;
}

function listAccumulator(c: ResolvedMultiValued | ResolvedSequence, crossRead: boolean): SlotAccumulator {
  const codes = new ListCodes(new CategoricalCodes(c.source, c.name, NO_ID), c.source, c.name, c.separator);
  const counts: number[] = [];
  return {
    codes,
    add(chunk, rows, n) {
      if (c.encoding.kind !== 'vocabulary' && !crossRead) return null;
      const b = codes.encode(chunk, rows, n);
      if (c.encoding.kind === 'vocabulary') for (const s of b.slots) counts[s] = (counts[s] ?? 0) + 1;
      return b;
    },
    finish: () => {
      const encoding = finishEncoding(c.encoding, codes.codes.tokens(), counts);
      return c.type === 'sequence'
        ? { type: c.type, name: c.name, source: c.source, separator: c.separator, length: c.length, feeds: [...c.feeds], ...base, encoding }
        : { type: c.type, name: c.name, source: c.source, separator: c.separator, pooling: c.pooling, feeds: [...c.feeds], ...base, encoding };
    },
  };
}

function bucketizedAccumulator(c: ResolvedBucketized, cfg: ResolvedConfig, rng: Rng, crossRead: boolean): SlotAccumulator {
  const reservoir = c.quantiles !== null ? new Reservoir(cfg.sampling.reservoirSize, rng.fork(c.name)) : null;
  const codes = new BucketCodes(c.source, c.name, c.boundaries ?? []);
  const acc: SlotAccumulator = {
    codes,
    add(chunk, rows, n) {
      if (reservoir === null) return crossRead ? codes.encode(chunk, rows, n) : null;
      // Boundaries still to be fitted: a cross can only learn which values are missing (slot -1) or not
      // (slot 0), which is all a hashed cross counts its cut rows by (a vocabulary cross cannot read it).
      const slots = crossRead ? new Int32Array(n) : null;
      const v = numericColumn(chunk, c.source, c.name);
      for (let i = 0; i < n; i++) {
        const x = v[rows === null ? i : rows[i]!]!;
        if (x === x) reservoir.add(x);
        else if (slots !== null) slots[i] = -1;
      }
      return slots !== null ? { ids: slots, slots, offsets: null } : null;
    },
    finish: () => {
      let boundaries = c.boundaries !== null ? [...c.boundaries] : [];
      if (reservoir !== null && c.quantiles !== null) {
        if (reservoir.count === 0) throw fitError(c.name, 'no values to fit quantile boundaries on', 'check the source column, or give explicit boundaries');
        boundaries = dedupeSorted(quantileBoundaries(reservoir.sorted(), c.quantiles));
      }
      return { type: 'bucketized', name: c.name, source: c.source, feeds: [...c.feeds], ...base, boundaries, fit: c.quantiles !== null ? { quantiles: c.quantiles } : null };
    },
  };
  return acc;
}

function numericAccumulator(c: ResolvedNumeric, cfg: ResolvedConfig, rng: Rng): Accumulator {
  const needsSample = c.normalize === 'quantile' || c.missing.strategy === 'median';
  const reservoir = needsSample ? new Reservoir(cfg.sampling.reservoirSize, rng.fork(c.name)) : null;
  const raw = new Moments();
  const pre = new Moments();
  return {
    add(chunk, rows, n) {
      const v = numericColumn(chunk, c.source, c.name);
      for (let i = 0; i < n; i++) {
        const x = v[rows === null ? i : rows[i]!]!;
        if (x !== x) continue;
        raw.add(x);
        pre.add(preNormalize(x, c.clip, c.log1p));
        reservoir?.add(x);
      }
      return null;
    },
    finish() {
      const needsValues = c.normalize !== 'none' || c.missing.strategy === 'mean' || c.missing.strategy === 'median';
      if (needsValues && raw.count === 0) throw fitError(c.name, 'no non-missing values to fit statistics on', 'check the source column and the data');
      const sorted = reservoir?.sorted() ?? new Float64Array(0);
      const s = c.missing.strategy;
      const fillValue =
        s === 'mean' ? raw.mean : s === 'median' ? median(sorted) : s === 'zero' ? 0 : s === 'constant' ? c.missing.value : null;
      if (fillValue !== null && c.log1p && preNormalize(fillValue, c.clip, false) <= -1) {
        throw fitError(c.name, `missing values are filled with ${fillValue}, and log1p needs values above -1`, 'choose another missing strategy or clip the column');
      }
      const normalize =
        c.normalize === 'standardize'
          ? { kind: 'standardize' as const, mean: pre.mean, std: pre.std > 0 ? pre.std : 1 }
          : c.normalize === 'quantile'
            ? { kind: 'quantile' as const, numQuantiles: c.numQuantiles ?? 2, boundaries: quantileBoundaries(sorted, c.numQuantiles ?? 2).map((x) => preNormalize(x, c.clip, c.log1p)) }
            : { kind: 'none' as const };
      if (normalize.kind === 'standardize' && !(Number.isFinite(normalize.mean) && Number.isFinite(normalize.std))) {
        throw fitError(c.name, `the values are too large to standardize (mean ${normalize.mean}, std ${normalize.std})`, 'clip the column, use log1p or normalize: quantile');
      }
      const fitted: FittedNumeric = {
        type: 'numeric',
        name: c.name,
        source: c.source,
        feeds: [...c.feeds],
        clip: c.clip !== null ? { ...c.clip } : null,
        log1p: c.log1p,
        normalize,
        missing: { strategy: s, fillValue, indicator: c.missing.indicator },
      };
      const output = numericOutput(fitted);
      if (fillValue !== null && output !== null && !finiteInFloat32(output(fillValue))) {
        throw fitError(c.name, `missing values are filled with ${fillValue}, which is ${Math.fround(output(fillValue))} once transformed and stored as float32`, 'choose another missing strategy or value, or clip the column');
      }
      return fitted;
    },
  };
}

function finishEncoding(e: IdEncodingConfig, tokens: readonly string[], counts: readonly number[]): FittedIdEncoding {
  switch (e.kind) {
    case 'values':
      return { kind: 'vocabulary', values: [...e.values], fit: null };
    case 'hash':
    case 'identity':
      return { kind: e.kind, numBuckets: e.numBuckets };
    case 'vocabulary': {
      // A value met both as a string and as UTF-8 bytes may have two slots (codes.ts): count it once.
      const byToken = new Map<string, number>();
      tokens.forEach((t, i) => byToken.set(t, (byToken.get(t) ?? 0) + (counts[i] ?? 0)));
      return { kind: 'vocabulary', values: selectVocabulary(byToken, e.minCount, e.maxSize, compareStrings), fit: { minCount: e.minCount, maxSize: e.maxSize } };
    }
  }
}

/** Median of a sorted sample (mean of the two middle values when the size is even). */
function median(sorted: Float64Array): number {
  const m = sorted.length;
  const mid = m >> 1;
  return m % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
