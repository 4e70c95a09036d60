import type { FittedColumn, FittedSpec } from '../features/fitted-spec.js';
import { tableSize } from '../features/sizes.js';
import type { ModelState, WideDeepModel } from '../model/wide-deep.js';
import type { SparseTable } from '../sparse/table.js';

/** How many rows and tensors a warm start carried over, and how many started fresh. */
export interface WarmStartReport {
  readonly copiedRows: number;
  readonly freshRows: number;
  readonly copiedDense: readonly string[];
  readonly freshDense: readonly string[];
}

/**
 * For one column: new id -> old id (or -1 when the value is new), comparing what the ids mean. Vocabulary
 * ids are matched by value, so a refitted vocabulary keeps the weights of every value both models know;
 * hashed, identity and bucketized ids mean the same thing only when the encoding is unchanged.
 */
export function idMap(oldCol: FittedColumn, newCol: FittedColumn): Int32Array | null {
  if (oldCol.type !== newCol.type || oldCol.type === 'numeric' || newCol.type === 'numeric') return null;
  const n = tableSize(newCol);
  const map = new Int32Array(n).fill(-1);
  map[0] = 0;
  const o = oldCol as FittedColumn & { encoding?: { kind: string; values?: unknown[] } };
  const c = newCol as FittedColumn & { encoding?: { kind: string; values?: unknown[] } };
  if (o.encoding?.kind === 'vocabulary' && c.encoding?.kind === 'vocabulary') {
    const key = (v: unknown): string => (Array.isArray(v) ? JSON.stringify(v) : String(v));
    const old = new Map((o.encoding.values ?? []).map((v, i) => [key(v), i + 1]));
    (c.encoding.values ?? []).forEach((v, i) => {
      map[i + 1] = old.get(key(v)) ?? -1;
    });
    return map;
  }
  const same = JSON.stringify({ ...oldCol, fit: undefined, embeddingDim: undefined, feeds: undefined }) === JSON.stringify({ ...newCol, fit: undefined, embeddingDim: undefined, feeds: undefined });
  if (!same || tableSize(oldCol) !== n) return null;
  for (let i = 0; i < n; i++) map[i] = i;
  return map;
}

function copyRows(dst: SparseTable, src: Float32Array, srcDim: number, dstOffset: number, srcOffset: number, map: Int32Array): number {
  if (srcDim !== dst.dim) return 0;
  let copied = 0;
  map.forEach((from, to) => {
    if (from < 0) return;
    dst.writeRow(dstOffset + to, src.subarray((srcOffset + from) * srcDim, (srcOffset + from + 1) * srcDim));
    copied++;
  });
  return copied;
}

/**
 * Initializes `model` (built for `spec`) from an earlier model's weights: the paper's continuous training.
 * Rows of ids both models know keep their learned weights; new vocabulary entries start fresh, as does any
 * dense tensor whose shape changed.
 */
export function warmStart(model: WideDeepModel, spec: FittedSpec, previous: { spec: FittedSpec; state: ModelState }): WarmStartReport {
  const oldCols = new Map(previous.spec.columns.map((c) => [c.name, c]));
  const newCols = new Map(spec.columns.map((c) => [c.name, c]));
  const weights = previous.state.kind === 'full' ? null : previous.state.tensors;
  const tensorOf = (name: string, table: SparseTable): Float32Array | undefined => {
    const t = previous.state.tensors.get(name);
    if (!t || weights) return t;
    // A full state interleaves [w | optimizer state] per row: keep the weights.
    const stride = t.length / Math.max(1, rowsOf(previous.spec, name));
    const rows = t.length / stride;
    const out = new Float32Array(rows * table.dim);
    for (let r = 0; r < rows; r++) out.set(t.subarray(r * stride, r * stride + table.dim), r * table.dim);
    return out;
  };
  let copiedRows = 0;
  let totalRows = 0;
  for (const [k, w] of model.wide.entries()) {
    const name = model.wide.length === 1 ? 'wide' : `wide.${k}`;
    const src = tensorOf(name, w.table);
    totalRows += w.table.numRows;
    if (!src) continue;
    const oldOffsets = wideOffsets(previous.spec);
    w.config.features.forEach((f, j) => {
      const oc = oldCols.get(f.key);
      const nc = newCols.get(f.key);
      const map = oc && nc ? idMap(oc, nc) : null;
      const oldOff = oldOffsets.get(f.key);
      if (map && oldOff !== undefined) copiedRows += copyRows(w.table, src, 1, w.offsets[j] as number, oldOff, map);
    });
    const oldBias = src.length - 1;
    w.table.writeRow(w.biasRow, [src[oldBias] as number]);
    copiedRows++;
  }
  for (const e of model.embedded) {
    totalRows += e.table.numRows;
    const oc = oldCols.get(e.key);
    const nc = newCols.get(e.key);
    const src = tensorOf(e.table.name, e.table);
    const map = oc && nc ? idMap(oc, nc) : null;
    if (src && map) copiedRows += copyRows(e.table, src, src.length / tableSize(oc as FittedColumn), 0, 0, map);
  }
  const copiedDense: string[] = [];
  const freshDense: string[] = [];
  const dense = new Map<string, Float32Array>();
  for (const p of model.runner.forward.params) {
    const t = previous.state.tensors.get(`dense.${p.name}`);
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (t && t.length === n) {
      dense.set(p.name, t);
      copiedDense.push(p.name);
    } else freshDense.push(p.name);
  }
  model.runner.load(dense, 0);
  return { copiedRows, freshRows: totalRows - copiedRows, copiedDense, freshDense };
}

function wideOffsets(spec: FittedSpec): Map<string, number> {
  const out = new Map<string, number>();
  let at = 0;
  for (const c of spec.columns) {
    if (c.type === 'numeric' || !c.feeds.includes('wide')) continue;
    out.set(c.name, at);
    at += tableSize(c);
  }
  return out;
}

function rowsOf(spec: FittedSpec, tableName: string): number {
  if (tableName.startsWith('wide')) {
    let n = 1;
    for (const c of spec.columns) if (c.type !== 'numeric' && c.feeds.includes('wide')) n += tableSize(c);
    return n;
  }
  const col = spec.columns.find((c) => `emb.${c.name}` === tableName);
  return col ? tableSize(col) : 1;
}
