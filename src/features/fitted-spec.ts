import { z } from 'zod';
import { WideDeepError } from '../core/errors.js';
import { parseWith } from './zod-errors.js';

/**
 * The fitted feature spec: everything transform needs, as plain JSON (vocabularies, boundaries, statistics,
 * hash sizes, resolved embedding dims). `JSON.parse(JSON.stringify(spec))` gives back an equal spec, and
 * `parseFittedSpec` validates one read from disk. Table sizes are never stored: `specSizes` derives them.
 * The format is described in docs/FEATURES.md; bump FORMAT_VERSION on any incompatible change.
 */
export const FORMAT_VERSION = 1;

const name = z.string().min(1);
const count = z.number().int().min(1);
const feeds = z.array(z.enum(['wide', 'deep'])).max(2);
const dim = count.nullable();
const vocabFit = z.strictObject({ minCount: count, maxSize: count.nullable() });

const idEncoding = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('vocabulary'), values: z.array(z.string()), fit: vocabFit.nullable() }),
  z.strictObject({ kind: z.literal('hash'), numBuckets: count }),
  z.strictObject({ kind: z.literal('identity'), numBuckets: count }),
]);

const categorical = z.strictObject({
  type: z.literal('categorical'),
  name,
  source: name,
  /** Characters kept from the start of every value; absent: the whole value. */
  prefix: count.optional(),
  feeds,
  embeddingDim: dim,
  encoding: idEncoding,
});

const numeric = z.strictObject({
  type: z.literal('numeric'),
  name,
  source: name,
  feeds,
  clip: z.strictObject({ min: z.number(), max: z.number() }).nullable(),
  log1p: z.boolean(),
  normalize: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('standardize'), mean: z.number(), std: z.number().positive() }),
    z.strictObject({ kind: z.literal('quantile'), numQuantiles: z.number().int().min(2), boundaries: z.array(z.number()) }),
  ]),
  missing: z.strictObject({
    strategy: z.enum(['error', 'mean', 'median', 'zero', 'constant']),
    fillValue: z.number().nullable(),
    indicator: z.boolean(),
  }),
});

const bucketized = z.strictObject({
  type: z.literal('bucketized'),
  name,
  source: name,
  feeds,
  embeddingDim: dim,
  boundaries: z.array(z.number()),
  fit: z.strictObject({ quantiles: z.number().int().min(2) }).nullable(),
});

const crossed = z.strictObject({
  type: z.literal('crossed'),
  name,
  components: z.array(name).min(2),
  commutative: z.boolean(),
  feeds,
  embeddingDim: dim,
  encoding: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('hash'), numBuckets: count }),
    z.strictObject({ kind: z.literal('vocabulary'), values: z.array(z.array(z.string())), fit: vocabFit }),
  ]),
  /** Present exactly when a component is multi-valued: the cross is then a bag of ids per row. */
  bag: z.strictObject({ pooling: z.enum(['sum', 'mean']), maxCrossIds: count }).optional(),
});

const multiValued = z.strictObject({
  type: z.literal('multi-valued'),
  name,
  source: name,
  separator: z.string().min(1).nullable(),
  pooling: z.enum(['sum', 'mean']),
  feeds,
  embeddingDim: dim,
  encoding: idEncoding,
});

const sequence = z.strictObject({
  type: z.literal('sequence'),
  name,
  source: name,
  separator: z.string().min(1).nullable(),
  length: count,
  feeds,
  embeddingDim: dim,
  encoding: idEncoding,
});

const label = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('binary'),
    column: name,
    positive: z.array(z.string()).nullable(),
    negative: z.array(z.string()).nullable(),
    predicate: z.strictObject({ op: z.enum(['>', '>=', '<', '<=', '==']), value: z.number() }).nullable(),
    weight: name.nullable(),
  }),
  z.strictObject({
    kind: z.literal('regression'),
    column: name,
    /** The binary event evaluation scores the predictions against (absent: none). */
    event: z.strictObject({ op: z.enum(['>', '>=', '<', '<=', '==']), value: z.number() }).optional(),
    weight: name.nullable(),
  }),
  z.strictObject({ kind: z.literal('multiclass'), column: name, classes: z.array(z.string()).min(1), weight: name.nullable() }),
]);

export const fittedSpecSchema = z.strictObject({
  formatVersion: z.literal(FORMAT_VERSION),
  columns: z.array(z.discriminatedUnion('type', [categorical, numeric, bucketized, crossed, multiValued, sequence])).min(1),
  label: label.nullable(),
  onBadRow: z.enum(['error', 'skip']),
  fitStats: z.strictObject({
    rows: z.number().int().min(0),
    skippedRows: z.number().int().min(0),
    reservoirSize: count,
    seed: z.number().int(),
    /** Per crossed column with a multi-valued component: training rows whose bag was cut at maxCrossIds. */
    truncatedCrossRows: z.record(name, z.number().int().min(0)).optional(),
  }),
});

export type FittedSpec = z.output<typeof fittedSpecSchema>;
export type FittedColumn = FittedSpec['columns'][number];
export type FittedLabel = NonNullable<FittedSpec['label']>;
export type FittedIdEncoding = z.output<typeof idEncoding>;
export type FittedCategorical = z.output<typeof categorical>;
export type FittedNumeric = z.output<typeof numeric>;
export type FittedBucketized = z.output<typeof bucketized>;
export type FittedCrossed = z.output<typeof crossed>;
export type FittedMultiValued = z.output<typeof multiValued>;
export type FittedSequence = z.output<typeof sequence>;

/** The spec as JSON text (what goes into a model bundle). */
export function serializeFittedSpec(spec: FittedSpec): string {
  return JSON.stringify(spec);
}

/**
 * Validates a fitted spec read from disk (JSON text or already-parsed data): shape, format version and the
 * invariants transform relies on. Errors name the file and the path of the bad field.
 */
export function parseFittedSpec(input: unknown, options: { file?: string } = {}): FittedSpec {
  const file = options.file;
  const where = file !== undefined ? { file } : {};
  let data = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (err) {
      throw new WideDeepError('BUNDLE', `fitted spec is not valid JSON: ${(err as Error).message}`, { ...where, fix: 'restore the file from the model bundle or refit the spec' }, { cause: err });
    }
  }
  const version = data !== null && typeof data === 'object' ? (data as { formatVersion?: unknown }).formatVersion : undefined;
  if (version !== FORMAT_VERSION) {
    throw new WideDeepError('BUNDLE', `fitted spec has formatVersion ${JSON.stringify(version)}; this widedeep reads formatVersion ${FORMAT_VERSION}`, {
      ...where,
      field: 'formatVersion',
      fix: 'refit the feature spec with this version of widedeep',
    });
  }
  const spec = parseWith(fittedSpecSchema, data, { code: 'BUNDLE', what: 'fitted spec', file, fix: 'the spec was edited or corrupted: restore it or refit it' });
  checkInvariants(spec, file);
  return spec;
}

function checkInvariants(spec: FittedSpec, file: string | undefined): void {
  const fail = (message: string, field: string): never => {
    throw new WideDeepError('BUNDLE', `fitted spec: ${message}`, { field, fix: 'the spec was edited or corrupted: restore it or refit it', ...(file !== undefined ? { file } : {}) });
  };
  const names = new Map<string, FittedColumn>();
  spec.columns.forEach((c, i) => {
    if (names.has(c.name)) fail(`two columns are named '${c.name}'`, `columns[${i}].name`);
    names.set(c.name, c);
  });
  spec.columns.forEach((c, i) => {
    const at = `columns[${i}]`;
    const hasDim = c.type !== 'numeric' && c.embeddingDim !== null;
    if (c.type !== 'numeric' && hasDim !== c.feeds.includes('deep')) fail(`embeddingDim must be set exactly when the column feeds deep`, `${at}.embeddingDim`);
    if ((c.type === 'numeric' || c.type === 'sequence') && c.feeds.includes('wide')) fail(`a ${c.type} column cannot feed wide`, `${at}.feeds`);
    if ('encoding' in c && c.encoding.kind === 'vocabulary') {
      const keys = c.encoding.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      if (new Set(keys).size !== keys.length) fail(`vocabulary of '${c.name}' has duplicate values`, `${at}.encoding.values`);
    }
    if (c.type === 'bucketized') increasing(c.boundaries, true, `${at}.boundaries`, fail);
    if (c.type === 'numeric') {
      if (c.normalize.kind === 'quantile') {
        if (c.normalize.boundaries.length !== c.normalize.numQuantiles - 1) fail(`quantile normalization needs numQuantiles - 1 boundaries`, `${at}.normalize.boundaries`);
        increasing(c.normalize.boundaries, false, `${at}.normalize.boundaries`, fail);
      }
      if ((c.missing.strategy === 'error') !== (c.missing.fillValue === null)) fail(`missing.fillValue must be null exactly for strategy 'error'`, `${at}.missing.fillValue`);
    }
    if (c.type === 'crossed') {
      c.components.forEach((comp, j) => {
        const t = names.get(comp)?.type;
        if (t !== 'categorical' && t !== 'bucketized' && t !== 'multi-valued') fail(`component '${comp}' is not a categorical, bucketized or multi-valued column`, `${at}.components[${j}]`);
      });
      const bag = c.components.some((comp) => names.get(comp)?.type === 'multi-valued');
      if (bag !== (c.bag !== undefined)) fail(`bag must be set exactly when a component is multi-valued`, `${at}.bag`);
      if (c.encoding.kind === 'vocabulary' && c.encoding.values.some((v) => v.length !== c.components.length)) {
        fail(`every crossed vocabulary entry needs ${c.components.length} values`, `${at}.encoding.values`);
      }
    }
  });
}

function increasing(a: readonly number[], strict: boolean, field: string, fail: (m: string, f: string) => never): void {
  for (let i = 1; i < a.length; i++) {
    const ok = strict ? (a[i] as number) > (a[i - 1] as number) : (a[i] as number) >= (a[i - 1] as number);
    if (!ok) fail(`boundaries must be ${strict ? 'strictly increasing' : 'sorted'}`, `${field}[${i}]`);
  }
}
