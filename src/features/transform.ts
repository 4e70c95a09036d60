import type { SparseBatch } from '../core/sparse-batch.js';
import type { RowChunk } from '../data/types.js';
import { BadRows, requireColumns } from './chunk-access.js';
import { checkColumns, sourcesOf } from './checks.js';
import { encodeSequences } from './codes.js';
import { withDerivedColumns } from './derive.js';
import { ChunkSlots, compile } from './compile.js';
import type { FittedSpec } from './fitted-spec.js';
import { checkLabel, encodeLabels, encodeWeights, labelSources } from './labels.js';
import { encodeNumeric } from './numeric.js';
import type { BadRowPolicy } from './resolved.js';

/** A user's last N items: ids [batchSize * length] (padded with 0 on the right) and real lengths [batchSize]. */
export interface SequenceBatch {
  readonly length: number;
  readonly ids: Int32Array;
  readonly lengths: Int32Array;
}

/**
 * What transform makes of a RowChunk: everything the model reads for one batch.
 *
 * - `wide`: one key per column feeding wide, ids in that column's own [0, tableSize) range;
 * - `deep`: one key per sparse column feeding deep (embedding lookups; multi-valued columns, and crossed
 *   columns with a multi-valued component, give bags); the very object `wide` is when the same sparse columns
 *   feed both parts (Criteo's 26 categoricals), so that a batch is laid out once (batches are read-only);
 * - `dense`: row-major [batchSize, denseWidth] numeric inputs (see `denseLayout` for the column names);
 * - `sequences`: one entry per sequence column;
 * - `labels`/`weights`: present in 'train' mode when the spec has a label (and a weight column).
 */
export interface FeatureBatch {
  readonly batchSize: number;
  readonly wide: SparseBatch;
  readonly deep: SparseBatch;
  readonly dense: Float32Array;
  readonly denseWidth: number;
  readonly sequences: Readonly<Record<string, SequenceBatch>>;
  /** Float32Array of 0/1 (binary) or targets (regression), or Int32Array of class indices (multiclass). */
  readonly labels?: Float32Array | Int32Array;
  readonly weights?: Float32Array;
  /** Source row number of every example (for error messages and predictions written back to files). */
  readonly rowNumbers: Int32Array;
  readonly source: string;
  /** Rows left out under onBadRow: 'skip' (always 0 under 'error', which throws instead). */
  readonly skippedRows: number;
  readonly skippedRowNumbers: Int32Array;
  /** Why the first skipped row was left out. */
  readonly firstSkipReason: string | null;
  /**
   * Per output crossed column with a multi-valued component: rows whose bag was cut at the column's
   * `maxCrossIds` (0 when none was).
   */
  readonly truncatedCrosses: Readonly<Record<string, number>>;
}

export interface TransformOptions {
  /** 'train' (default) reads the label and weight columns; 'serve' ignores them. */
  readonly mode?: 'train' | 'serve';
  /** Overrides the spec's bad-row policy. */
  readonly onBadRow?: BadRowPolicy;
  /**
   * The rows are scored whole or not at all (a serving request): a bad row's error then gives the fix a request
   * can use rather than `onBadRow: skip` (chunk-access.ts `requestFix`).
   */
  readonly rowsScoredWhole?: boolean;
}

interface Bags {
  readonly ids: Int32Array;
  /** null: exactly one id per row. */
  readonly offsets: Int32Array | null;
}

/**
 * Encodes one chunk with a fitted spec. Unseen categories become id 0. A value no transform can encode
 * (non-finite number, a number that is not finite once transformed and stored as float32, missing value
 * without a missing strategy, invalid label) is an error naming the source, row, column and value, or, under
 * onBadRow: 'skip', leaves its row out and is counted in `skippedRows`. So every number of the batch is finite.
 */
export function transform(spec: FittedSpec, read: RowChunk, options: TransformOptions = {}): FeatureBatch {
  const plan = compile(spec);
  const label = (options.mode ?? 'train') === 'train' ? spec.label : null;
  if (read.numRows === 0) return emptyBatch(spec, plan.wideKeys, plan.deepKeys, plan.denseWidth, label, read.source);
  requireColumns(read, [...sourcesOf(spec.columns), ...(label !== null ? labelSources(label) : [])]);
  const chunk = withDerivedColumns(read, spec.columns);
  const bad = new BadRows(chunk.numRows, options.onBadRow ?? spec.onBadRow, options.rowsScoredWhole === true);
  checkColumns(chunk, spec.columns, bad);
  if (label !== null) checkLabel(chunk, label, bad);
  const rows = bad.keptRows();
  const n = rows === null ? chunk.numRows : rows.length;

  for (const codes of plan.codes.values()) codes.trim();
  const slots = new ChunkSlots(plan, chunk, rows, n);
  const sparse = new Map<string, Bags>();
  const sequences: Record<string, SequenceBatch> = {};
  const truncatedCrosses: Record<string, number> = {};
  const dense = new Float32Array(n * plan.denseWidth);
  for (const c of spec.columns) {
    if (c.feeds.length === 0) continue;
    switch (c.type) {
      case 'categorical':
      case 'bucketized':
      case 'multi-valued': {
        const b = slots.get(c.name);
        sparse.set(c.name, { ids: b.ids, offsets: b.offsets });
        break;
      }
      case 'crossed': {
        const x = plan.crosses.get(c.name)!.encode(c.components.map((comp) => slots.get(comp)), n);
        sparse.set(c.name, { ids: x.ids, offsets: x.offsets });
        if (c.bag !== undefined) truncatedCrosses[c.name] = x.truncated;
        break;
      }
      case 'sequence': {
        const s = encodeSequences(chunk, rows, n, plan.codes.get(c.name)!, c.source, c.name, c.separator, c.length);
        sequences[c.name] = { length: c.length, ids: s.ids, lengths: s.lengths };
        break;
      }
      case 'numeric': {
        const offset = plan.denseOffsets.get(c.name);
        if (offset !== undefined) encodeNumeric(chunk, c, rows, n, dense, plan.denseWidth, offset);
        break;
      }
    }
  }

  const rowNumbers = new Int32Array(n);
  for (let i = 0; i < n; i++) rowNumbers[i] = chunk.rowNumbers[rows === null ? i : rows[i]!]!;
  const skippedRowNumbers = new Int32Array(bad.count);
  if (bad.mask !== null) {
    let k = 0;
    for (let i = 0; i < chunk.numRows; i++) if (bad.mask[i] === 1) skippedRowNumbers[k++] = chunk.rowNumbers[i]!;
  }
  const weights = label !== null ? encodeWeights(chunk, label, rows, n) : null;
  const wide = assemble(plan.wideKeys, sparse, n);
  return {
    batchSize: n,
    wide,
    deep: plan.deepKeys === plan.wideKeys ? wide : assemble(plan.deepKeys, sparse, n),
    dense,
    denseWidth: plan.denseWidth,
    sequences,
    ...(label !== null ? { labels: encodeLabels(chunk, label, rows, n) } : {}),
    ...(weights !== null ? { weights } : {}),
    rowNumbers,
    source: chunk.source,
    skippedRows: bad.count,
    skippedRowNumbers,
    firstSkipReason: bad.firstReason,
    truncatedCrosses,
  };
}

function emptyBatch(
  spec: FittedSpec,
  wideKeys: readonly string[],
  deepKeys: readonly string[],
  denseWidth: number,
  label: FittedSpec['label'],
  source: string,
): FeatureBatch {
  const sparse = (keys: readonly string[]): SparseBatch => ({ keys, batchSize: 0, ids: new Int32Array(0), offsets: new Int32Array(1) });
  const sequences: Record<string, SequenceBatch> = {};
  const truncatedCrosses: Record<string, number> = {};
  for (const c of spec.columns) {
    if (c.feeds.length === 0) continue;
    if (c.type === 'sequence') sequences[c.name] = { length: c.length, ids: new Int32Array(0), lengths: new Int32Array(0) };
    if (c.type === 'crossed' && c.bag !== undefined) truncatedCrosses[c.name] = 0;
  }
  return {
    batchSize: 0,
    wide: sparse(wideKeys),
    deep: sparse(deepKeys),
    dense: new Float32Array(0),
    denseWidth,
    sequences,
    ...(label !== null ? { labels: label.kind === 'multiclass' ? new Int32Array(0) : new Float32Array(0) } : {}),
    ...(label !== null && label.weight !== null ? { weights: new Float32Array(0) } : {}),
    rowNumbers: new Int32Array(0),
    source,
    skippedRows: 0,
    skippedRowNumbers: new Int32Array(0),
    firstSkipReason: null,
    truncatedCrosses,
  };
}

/** Lays the bags of `keys` out as one feature-major SparseBatch. */
function assemble(keys: readonly string[], parts: ReadonlyMap<string, Bags>, n: number): SparseBatch {
  let total = 0;
  for (const k of keys) total += parts.get(k)!.ids.length;
  const ids = new Int32Array(total);
  const offsets = new Int32Array(keys.length * n + 1);
  let pos = 0;
  let o = 0;
  for (const k of keys) {
    const part = parts.get(k)!;
    ids.set(part.ids, pos);
    const off = part.offsets;
    if (off === null) for (let i = 1; i <= n; i++) offsets[++o] = pos + i;
    else for (let i = 1; i <= n; i++) offsets[++o] = pos + off[i]!;
    pos += part.ids.length;
  }
  return { keys, batchSize: n, ids, offsets };
}
