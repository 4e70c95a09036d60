import type { LoadedBundle } from '../artifact/bundle-model.js';
import type { FittedColumn } from '../features/fitted-spec.js';
import { idLabel } from '../model/explain.js';
import { type InputField, inputFields } from './input-fields.js';
import { type ModelFacts, modelFacts } from './model-facts.js';

/**
 * What the studio's model view shows of a bundle: `widedeep inspect`'s facts (modelFacts), each column's
 * encoding (vocabulary size and first values, hash buckets, boundaries, cross components), the L2 norms of
 * each embedding table's rows, and the what-if form's fields. Plain JSON, computed on the server.
 */

export interface ColumnDetail {
  readonly name: string;
  readonly type: FittedColumn['type'];
  /** The data column read (null for a cross, which reads its components). */
  readonly source: string | null;
  readonly feeds: readonly string[];
  /** vocabulary, hash, identity, buckets, numeric. */
  readonly encoding: string;
  /** Vocabulary length, hash or identity buckets, bucket count; null for numeric. */
  readonly size: number | null;
  /** The first vocabulary values (at most 20) or the boundaries. */
  readonly sample: readonly string[];
  readonly components: readonly string[] | null;
}

export interface EmbeddingNorms {
  readonly table: string;
  readonly rows: number;
  readonly dim: number;
  /** Mean and max L2 norm over the rows of real ids (row 0, the OOV/padding row, left out). */
  readonly mean: number;
  readonly max: number;
  /** The row of largest norm, by its value name. */
  readonly strongest: readonly { readonly value: string; readonly norm: number }[];
}

export interface ModelView {
  readonly facts: ModelFacts;
  readonly columns: readonly ColumnDetail[];
  readonly embeddings: readonly EmbeddingNorms[];
  readonly inputs: readonly InputField[];
  readonly digest: string | null;
}

function columnDetail(c: FittedColumn): ColumnDetail {
  const base = { name: c.name, type: c.type, source: c.type === 'crossed' ? null : c.source, feeds: c.feeds, components: c.type === 'crossed' ? c.components : null };
  if (c.type === 'numeric') return { ...base, encoding: `numeric (${c.normalize.kind}${c.log1p ? ', log1p' : ''})`, size: null, sample: [] };
  if (c.type === 'bucketized') return { ...base, encoding: 'buckets', size: c.boundaries.length + 1, sample: c.boundaries.map(String) };
  const e = c.encoding;
  if (e.kind === 'vocabulary') {
    const sample = e.values.slice(0, 20).map((v) => (Array.isArray(v) ? v.join(' x ') : String(v)));
    return { ...base, encoding: 'vocabulary', size: e.values.length, sample };
  }
  return { ...base, encoding: e.kind, size: e.numBuckets, sample: [] };
}

/** Row L2 norms of one embedding table (rows x dim, row-major), row 0 left out, with its strongest rows named. */
export function tableNorms(table: string, w: Float32Array, dim: number, column: FittedColumn | undefined, top = 5): EmbeddingNorms {
  const rows = Math.floor(w.length / dim);
  const norms: { id: number; norm: number }[] = [];
  for (let r = 1; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (w[r * dim + j] as number) ** 2;
    norms.push({ id: r, norm: Math.sqrt(s) });
  }
  const mean = norms.length === 0 ? 0 : norms.reduce((a, n) => a + n.norm, 0) / norms.length;
  const max = norms.reduce((a, n) => Math.max(a, n.norm), 0);
  const strongest = [...norms].sort((a, b) => b.norm - a.norm).slice(0, top).map((n) => ({ value: idLabel(column, n.id), norm: n.norm }));
  return { table, rows, dim, mean, max, strongest };
}

/** The model view of a read bundle. */
export function modelView(b: LoadedBundle, options: { readonly top?: number } = {}): ModelView {
  const byName = new Map(b.spec.columns.map((c) => [c.name, c]));
  const tables = [...b.sizes.embeddings.map((e) => ({ key: e.key, dim: e.dim })), ...b.sizes.sequences.map((s) => ({ key: s.key, dim: s.dim }))];
  const embeddings: EmbeddingNorms[] = [];
  for (const t of tables) {
    const w = b.state.tensors.get(`emb.${t.key}`);
    if (w !== undefined) embeddings.push(tableNorms(t.key, w, t.dim, byName.get(t.key)));
  }
  return {
    facts: modelFacts(b, { top: options.top ?? 25 }),
    columns: b.spec.columns.map(columnDetail),
    embeddings,
    inputs: inputFields(b.spec),
    digest: b.manifest.formatVersion === 2 ? b.manifest.digest : null,
  };
}
