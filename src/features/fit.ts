import { WideDeepError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { RowChunk } from '../data/types.js';
import { BadRows, requireColumns } from './chunk-access.js';
import { checkColumns, sourcesOf } from './checks.js';
import { withDerivedColumns } from './derive.js';
import type { SlotBatch } from './codes.js';
import { parseFeatureConfig } from './config-parse.js';
import type { FeatureConfig } from './config-schema.js';
import { CrossCounter, compareTuples } from './cross.js';
import { makeAccumulator, type Accumulator, type SlotAccumulator } from './fit-accumulators.js';
import { FORMAT_VERSION, type FittedColumn, type FittedLabel, type FittedSpec } from './fitted-spec.js';
import { checkLabel, countClasses, labelSources, orderClasses } from './labels.js';
import type { ResolvedColumn, ResolvedConfig, ResolvedCrossed } from './resolved.js';
import { autoEmbeddingDim, tableSize } from './sizes.js';
import { selectVocabulary } from './stats.js';

/**
 * One pass over the training chunks with streaming accumulators: value counts for vocabularies (and crossed
 * vocabularies, and multi-class labels), mean/variance, and a seeded reservoir sample (config `sampling`) for
 * quantiles and medians, which are exact while the non-missing values of a column fit in the reservoir.
 * Rows that fail the same checks transform applies are handled by `onBadRow` and counted in `fitStats`.
 */
export async function fit(config: FeatureConfig, data: AsyncIterable<RowChunk> | Iterable<RowChunk>): Promise<FittedSpec> {
  return fitResolved(parseFeatureConfig(config), data);
}

/** `fit` for a config already validated by `parseFeatureConfig` / `parseFeatureConfigYaml`. */
export async function fitResolved(cfg: ResolvedConfig, data: AsyncIterable<RowChunk> | Iterable<RowChunk>): Promise<FittedSpec> {
  const rng = new Rng(cfg.sampling.seed);
  // Crosses read while fitting: vocabulary crosses count their tuples, crosses with a multi-valued component
  // count the rows cut at maxCrossIds (single-valued hashed crosses fit nothing).
  const readCrosses = cfg.columns.filter((c): c is ResolvedCrossed => c.type === 'crossed' && (c.encoding.kind === 'vocabulary' || c.bag !== null));
  const crossRead = new Set<string>();
  for (const c of readCrosses) for (const n of c.components) crossRead.add(n);
  const accs = new Map<string, Accumulator>();
  for (const c of cfg.columns) if (c.type !== 'crossed') accs.set(c.name, makeAccumulator(c, cfg, rng, crossRead.has(c.name)));
  const crossCounters = new Map<string, CrossCounter>();
  for (const c of readCrosses) {
    const comps = c.components.map((name) => (accs.get(name) as SlotAccumulator).codes);
    crossCounters.set(c.name, new CrossCounter(comps, c.commutative, c.encoding.kind === 'vocabulary', c.bag?.maxCrossIds ?? null));
  }
  const classCounts = cfg.label?.kind === 'multiclass' && cfg.label.classes === null ? new Map<string, number>() : null;
  const sources = [...sourcesOf(cfg.columns), ...(cfg.label !== null ? labelSources(cfg.label) : [])];
  let rows = 0;
  let skipped = 0;

  for await (const read of data) {
    if (read.numRows === 0) continue;
    requireColumns(read, sources);
    const chunk = withDerivedColumns(read, cfg.columns);
    const bad = new BadRows(chunk.numRows, cfg.onBadRow);
    checkColumns(chunk, cfg.columns, bad);
    if (cfg.label !== null) checkLabel(chunk, cfg.label, bad);
    const kept = bad.keptRows();
    const n = kept === null ? chunk.numRows : kept.length;
    const slotBatches = new Map<string, SlotBatch>();
    for (const [name, acc] of accs) {
      const b = acc.add(chunk, kept, n);
      if (b !== null) slotBatches.set(name, b);
    }
    for (const c of cfg.columns) {
      const counter = crossCounters.get(c.name);
      if (c.type === 'crossed' && counter !== undefined) counter.add(c.components.map((name) => slotBatches.get(name)!), n);
    }
    if (classCounts !== null && cfg.label !== null) {
      const mask = bad.mask;
      countClasses(chunk, cfg.label, (i) => mask === null || mask[i] === 0, classCounts);
    }
    rows += chunk.numRows;
    skipped += bad.count;
  }

  const columns: FittedColumn[] = cfg.columns.map((c) => {
    const fitted = c.type === 'crossed' ? fitCross(c, crossCounters.get(c.name)) : (accs.get(c.name) as Accumulator).finish();
    if (fitted.type === 'numeric' || !fitted.feeds.includes('deep')) return fitted;
    const explicit = (c as { embeddingDim: number | null }).embeddingDim;
    return { ...fitted, embeddingDim: explicit ?? autoEmbeddingDim(tableSize(fitted), cfg.embeddingDimCap) };
  });
  const truncated: Record<string, number> = {};
  for (const c of cfg.columns) if (c.type === 'crossed' && c.bag !== null) truncated[c.name] = crossCounters.get(c.name)?.truncatedRows ?? 0;
  const spec: FittedSpec = {
    formatVersion: FORMAT_VERSION,
    columns,
    label: fitLabel(cfg, classCounts),
    onBadRow: cfg.onBadRow,
    fitStats: {
      rows,
      skippedRows: skipped,
      reservoirSize: cfg.sampling.reservoirSize,
      seed: cfg.sampling.seed,
      ...(Object.keys(truncated).length > 0 ? { truncatedCrossRows: truncated } : {}),
    },
  };
  // The JSON form is the spec (-0 becomes 0, no shared arrays), so saving and loading it changes nothing.
  return JSON.parse(JSON.stringify(spec)) as FittedSpec;
}

function fitCross(c: Extract<ResolvedColumn, { type: 'crossed' }>, counter: CrossCounter | undefined): FittedColumn {
  const e = c.encoding;
  const encoding =
    e.kind === 'hash'
      ? { kind: 'hash' as const, numBuckets: e.numBuckets }
      : { kind: 'vocabulary' as const, values: selectVocabulary(counter?.entries() ?? [], e.minCount, e.maxSize, compareTuples), fit: { minCount: e.minCount, maxSize: e.maxSize } };
  const bag = c.bag !== null ? { bag: { pooling: c.bag.pooling, maxCrossIds: c.bag.maxCrossIds } } : {};
  return { type: 'crossed', name: c.name, components: [...c.components], commutative: c.commutative, feeds: [...c.feeds], embeddingDim: null, encoding, ...bag };
}

function fitLabel(cfg: ResolvedConfig, classCounts: Map<string, number> | null): FittedLabel | null {
  const l = cfg.label;
  if (l === null) return null;
  switch (l.kind) {
    case 'binary':
      return {
        kind: 'binary',
        column: l.column,
        positive: l.positive !== null ? [...l.positive] : null,
        negative: l.negative !== null ? [...l.negative] : null,
        predicate: l.predicate !== null ? { ...l.predicate } : null,
        weight: l.weight,
      };
    case 'regression':
      return { kind: 'regression', column: l.column, ...(l.event !== null ? { event: { ...l.event } } : {}), weight: l.weight };
    case 'multiclass': {
      const classes = l.classes !== null ? [...l.classes] : orderClasses(classCounts?.keys() ?? []);
      if (classes.length < 2) {
        throw new WideDeepError('DATA', `fit: the multiclass label '${l.column}' has ${classes.length} class(es) in the training data: ${JSON.stringify(classes)}`, {
          field: l.column,
          fix: 'check the label column, or use a binary or regression label',
        });
      }
      return { kind: 'multiclass', column: l.column, classes, weight: l.weight };
    }
  }
}

