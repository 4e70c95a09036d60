import type { Feed } from './config-schema.js';

/**
 * A feature configuration after validation, with every default filled in and every choice made explicit.
 * `fit` turns it into a FittedSpec (fitted-spec.ts); nothing here depends on the data yet.
 */

export type BadRowPolicy = 'error' | 'skip';

/** How a categorical value becomes an id before fitting. */
export type IdEncodingConfig =
  | { readonly kind: 'vocabulary'; readonly minCount: number; readonly maxSize: number | null }
  | { readonly kind: 'values'; readonly values: readonly string[] }
  | { readonly kind: 'hash'; readonly numBuckets: number }
  | { readonly kind: 'identity'; readonly numBuckets: number };

export type MissingStrategy = 'error' | 'mean' | 'median' | 'zero' | 'constant';
export type Normalization = 'none' | 'standardize' | 'quantile';
export type Pooling = 'sum' | 'mean';
export type PredicateOp = '>' | '>=' | '<' | '<=' | '==';

interface ResolvedBase {
  readonly name: string;
  readonly feeds: readonly Feed[];
}

export interface ResolvedCategorical extends ResolvedBase {
  readonly type: 'categorical';
  readonly source: string;
  /** Characters kept from the start of every value (null: the whole value). */
  readonly prefix: number | null;
  readonly embeddingDim: number | null;
  readonly encoding: IdEncodingConfig;
}

export interface ResolvedNumeric extends ResolvedBase {
  readonly type: 'numeric';
  readonly source: string;
  readonly clip: { readonly min: number; readonly max: number } | null;
  readonly log1p: boolean;
  readonly normalize: Normalization;
  readonly numQuantiles: number | null;
  readonly missing: { readonly strategy: MissingStrategy; readonly value: number | null; readonly indicator: boolean };
}

export interface ResolvedBucketized extends ResolvedBase {
  readonly type: 'bucketized';
  readonly source: string;
  readonly embeddingDim: number | null;
  readonly boundaries: readonly number[] | null;
  readonly quantiles: number | null;
}

export type CrossEncodingConfig =
  | { readonly kind: 'hash'; readonly numBuckets: number }
  | { readonly kind: 'vocabulary'; readonly minCount: number; readonly maxSize: number | null };

/** How a crossed column with a multi-valued component emits its bag of cross ids. */
export interface CrossBagConfig {
  /** How the deep part pools the bag (the wide part sums). */
  readonly pooling: Pooling;
  /** Most cross ids per row; the rest of a row's cartesian product is cut off (and counted). */
  readonly maxCrossIds: number;
}

export interface ResolvedCrossed extends ResolvedBase {
  readonly type: 'crossed';
  readonly components: readonly string[];
  readonly commutative: boolean;
  readonly embeddingDim: number | null;
  readonly encoding: CrossEncodingConfig;
  /** Set exactly when a component is multi-valued: the cross is then a bag per row. */
  readonly bag: CrossBagConfig | null;
}

export interface ResolvedMultiValued extends ResolvedBase {
  readonly type: 'multi-valued';
  readonly source: string;
  readonly separator: string | null;
  readonly pooling: Pooling;
  readonly embeddingDim: number | null;
  readonly encoding: IdEncodingConfig;
}

export interface ResolvedSequence extends ResolvedBase {
  readonly type: 'sequence';
  readonly source: string;
  readonly separator: string | null;
  readonly length: number;
  readonly embeddingDim: number | null;
  readonly encoding: IdEncodingConfig;
}

export type ResolvedColumn =
  | ResolvedCategorical
  | ResolvedNumeric
  | ResolvedBucketized
  | ResolvedCrossed
  | ResolvedMultiValued
  | ResolvedSequence;

export type ResolvedLabel =
  | {
      readonly kind: 'binary';
      readonly column: string;
      readonly positive: readonly string[] | null;
      readonly negative: readonly string[] | null;
      readonly predicate: { readonly op: PredicateOp; readonly value: number } | null;
      readonly weight: string | null;
    }
  | { readonly kind: 'regression'; readonly column: string; readonly event: { readonly op: PredicateOp; readonly value: number } | null; readonly weight: string | null }
  | { readonly kind: 'multiclass'; readonly column: string; readonly classes: readonly string[] | null; readonly weight: string | null };

export interface ResolvedConfig {
  readonly columns: readonly ResolvedColumn[];
  readonly label: ResolvedLabel | null;
  readonly onBadRow: BadRowPolicy;
  readonly embeddingDimCap: number;
  readonly sampling: { readonly reservoirSize: number; readonly seed: number };
}

/** Defaults documented in docs/FEATURES.md. */
export const DEFAULTS = {
  embeddingDimCap: 64,
  reservoirSize: 100_000,
  seed: 0,
  numQuantiles: 10,
  maxCrossIds: 1000,
  crossPooling: 'sum',
  feeds: {
    categorical: ['wide', 'deep'],
    numeric: ['deep'],
    bucketized: ['wide'],
    crossed: ['wide'],
    'multi-valued': ['deep'],
    sequence: ['deep'],
  },
} as const satisfies {
  embeddingDimCap: number;
  reservoirSize: number;
  seed: number;
  numQuantiles: number;
  maxCrossIds: number;
  crossPooling: Pooling;
  feeds: Record<ResolvedColumn['type'], readonly Feed[]>;
};
