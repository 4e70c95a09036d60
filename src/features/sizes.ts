import type { FittedColumn, FittedIdEncoding, FittedSpec } from './fitted-spec.js';
import type { Pooling, ResolvedConfig } from './resolved.js';

/**
 * Every model size derived from a fitted spec, so nothing is typed twice: wide keys and table sizes, embedding
 * tables, dense width, sequence inputs and the label's output size.
 */

/**
 * Automatic embedding dimension for a table of `n` rows: `min(cap, round(6 * n^0.25))` (the rule of thumb
 * from Google's feature-column guide), at least 1.
 */
export function autoEmbeddingDim(n: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.round(6 * Math.pow(n, 0.25))));
}

export function encodingTableSize(e: FittedIdEncoding): number {
  return e.kind === 'vocabulary' ? e.values.length + 1 : e.numBuckets + 1;
}

/** Rows of the id table of a sparse column (id 0 = missing / out of vocabulary included); 0 for numerics. */
export function tableSize(c: FittedColumn): number {
  switch (c.type) {
    case 'numeric':
      return 0;
    case 'bucketized':
      return c.boundaries.length + 2;
    case 'crossed':
      return c.encoding.kind === 'vocabulary' ? c.encoding.values.length + 1 : c.encoding.numBuckets + 1;
    default:
      return encodingTableSize(c.encoding);
  }
}

export interface EmbeddingSize {
  readonly key: string;
  readonly tableSize: number;
  readonly dim: number;
  /** How the bag of a multi-valued column is pooled; single-valued bags hold one id. */
  readonly pooling: Pooling;
  /** Bags of any length: multi-valued columns and crossed columns with a multi-valued component. */
  readonly multiValued: boolean;
}

export interface SequenceSize {
  readonly key: string;
  readonly length: number;
  readonly tableSize: number;
  readonly dim: number;
}

export interface SpecSizes {
  readonly wide: {
    /** Keys of the wide SparseBatch, in order. */
    readonly keys: readonly string[];
    readonly sizes: Readonly<Record<string, number>>;
    /** Where each key's ids start when all wide tables are laid end to end. */
    readonly offsets: Readonly<Record<string, number>>;
    /** Total wide dimension (sum of sizes). */
    readonly totalSize: number;
  };
  /** Keys of the deep SparseBatch, in order, with their tables. */
  readonly embeddings: readonly EmbeddingSize[];
  readonly dense: { readonly width: number; readonly names: readonly string[] };
  readonly sequences: readonly SequenceSize[];
  readonly label:
    | { readonly kind: 'binary' | 'regression'; readonly outputDim: 1; readonly hasWeights: boolean }
    | { readonly kind: 'multiclass'; readonly classes: readonly string[]; readonly outputDim: number; readonly hasWeights: boolean }
    | null;
}

export function specSizes(spec: FittedSpec): SpecSizes {
  const wideKeys: string[] = [];
  const sizes: Record<string, number> = {};
  const offsets: Record<string, number> = {};
  let total = 0;
  const embeddings: EmbeddingSize[] = [];
  const sequences: SequenceSize[] = [];
  for (const c of spec.columns) {
    if (c.type === 'numeric') continue;
    const n = tableSize(c);
    if (c.feeds.includes('wide')) {
      wideKeys.push(c.name);
      sizes[c.name] = n;
      offsets[c.name] = total;
      total += n;
    }
    if (!c.feeds.includes('deep') || c.embeddingDim === null) continue;
    if (c.type === 'sequence') sequences.push({ key: c.name, length: c.length, tableSize: n, dim: c.embeddingDim });
    else {
      const pooling = c.type === 'multi-valued' ? c.pooling : c.type === 'crossed' ? c.bag?.pooling : undefined;
      embeddings.push({ key: c.name, tableSize: n, dim: c.embeddingDim, pooling: pooling ?? 'sum', multiValued: pooling !== undefined });
    }
  }
  const l = spec.label;
  const hasWeights = l !== null && l.weight !== null;
  return {
    wide: { keys: wideKeys, sizes, offsets, totalSize: total },
    embeddings,
    dense: denseLayout(spec),
    sequences,
    label:
      l === null
        ? null
        : l.kind === 'multiclass'
          ? { kind: 'multiclass', classes: l.classes, outputDim: l.classes.length, hasWeights }
          : { kind: l.kind, outputDim: 1, hasWeights },
  };
}

/** Names of the dense columns in order: each numeric feeding deep, then `<name>_missing` when it has an indicator. */
export function denseLayout(spec: FittedSpec): { width: number; names: string[] } {
  const names: string[] = [];
  for (const c of spec.columns) {
    if (c.type !== 'numeric' || !c.feeds.includes('deep')) continue;
    names.push(c.name);
    if (c.missing.indicator) names.push(`${c.name}_missing`);
  }
  return { width: names.length, names };
}

/** A data column a spec reads and how a reader should decode it (structurally a `ColumnSchema` of src/data). */
export interface DataColumn {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical' | 'list';
}

/**
 * The data columns a spec (or a resolved config) reads, in first-use order, with the kind a reader should
 * decode each as: numeric for numeric/bucketized sources, regression or predicate labels and weights; list for
 * multi-valued and sequence columns without a separator; categorical otherwise. A source read both as a
 * number and as a category is numeric (categorical columns read numbers as their decimal strings).
 */
export function dataColumns(spec: Pick<FittedSpec, 'columns' | 'label'> | Pick<ResolvedConfig, 'columns' | 'label'>): DataColumn[] {
  const kinds = new Map<string, DataColumn['kind']>();
  const use = (name: string, kind: DataColumn['kind']): void => {
    const prev = kinds.get(name);
    if (prev === undefined || (kind === 'numeric' && prev === 'categorical')) kinds.set(name, kind);
  };
  for (const c of spec.columns) {
    if (c.type === 'numeric' || c.type === 'bucketized') use(c.source, 'numeric');
    else if (c.type === 'categorical') use(c.source, 'categorical');
    else if (c.type === 'multi-valued' || c.type === 'sequence') use(c.source, c.separator === null ? 'list' : 'categorical');
  }
  const l = spec.label;
  if (l !== null) {
    use(l.column, l.kind === 'regression' || (l.kind === 'binary' && l.predicate !== null) ? 'numeric' : 'categorical');
    if (l.weight !== null) use(l.weight, 'numeric');
  }
  return [...kinds].map(([name, kind]) => ({ name, kind }));
}
