import type { LoadedBundle } from '../artifact/bundle-model.js';
import { tableSize } from '../features/sizes.js';
import { idLabel } from '../model/explain.js';

/**
 * The facts of a model bundle that `widedeep inspect` prints and the studio's model view shows: features and
 * their table sizes, parameter counts per part, the wide bias and the strongest wide weights by value name,
 * the test metrics recorded at training. One function for both, so the two never disagree.
 */

export interface FeatureFact {
  readonly name: string;
  readonly type: string;
  /** `wide`, `deep`, `wide+deep`, or `-` (a column nothing reads directly, e.g. a cross component only). */
  readonly feeds: string;
  /** Rows of the column's id table (vocabulary + 1, hash buckets + 1, boundaries + 2); null for numeric. */
  readonly tableSize: number | null;
  readonly embeddingDim: number | null;
}

export interface WideWeight {
  readonly feature: string;
  /** The id's meaning: its vocabulary value, bucket range, hash bucket number (`idLabel`). */
  readonly value: string;
  readonly weight: number;
}

export interface ModelFacts {
  readonly model: string;
  readonly deep: LoadedBundle['model']['deep'];
  readonly objective: string;
  readonly steps: number;
  readonly createdAt: string;
  readonly features: readonly FeatureFact[];
  /** Parameter counts per part: wide, embeddings, deep. */
  readonly parameters: Record<string, number>;
  readonly wideBias: number | null;
  /** The `top` wide weights of largest magnitude, strongest first. */
  readonly strongestWideWeights: readonly WideWeight[];
  readonly test: unknown;
}

/** Parameter counts per part, from the tensor names (`wide*`, `emb.*`, the rest is deep). */
export function parameterCounts(b: LoadedBundle): Record<string, number> {
  const params: Record<string, number> = { wide: 0, embeddings: 0, deep: 0 };
  for (const [name, t] of b.state.tensors) {
    const group = name.startsWith('wide') ? 'wide' : name.startsWith('emb.') ? 'embeddings' : 'deep';
    params[group] = (params[group] as number) + t.length;
  }
  return params;
}

/** Every wide weight by feature and value name, strongest first: the wide table walked feature by feature (ids end to end, bias last). */
export function wideWeights(b: LoadedBundle): WideWeight[] {
  const wide = b.state.tensors.get('wide');
  if (!wide) return [];
  const all: WideWeight[] = [];
  let offset = 0;
  for (const c of b.spec.columns) {
    if (c.type === 'numeric' || !c.feeds.includes('wide')) continue;
    const n = tableSize(c);
    for (let id = 0; id < n; id++) all.push({ feature: c.name, value: idLabel(c, id), weight: wide[offset + id] as number });
    offset += n;
  }
  return all.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight));
}

/** The facts of a read bundle (readBundle), with the `top` strongest wide weights. */
export function modelFacts(b: LoadedBundle, options: { readonly top: number }): ModelFacts {
  const features = b.spec.columns.map((c) => ({
    name: c.name,
    type: c.type,
    feeds: c.feeds.join('+') || '-',
    tableSize: c.type === 'numeric' ? null : tableSize(c),
    embeddingDim: 'embeddingDim' in c ? c.embeddingDim : null,
  }));
  const wide = b.state.tensors.get('wide');
  return {
    model: b.model.kind,
    deep: b.model.deep,
    objective: b.sizes.objective,
    steps: b.manifest.steps,
    createdAt: b.manifest.createdAt,
    features,
    parameters: parameterCounts(b),
    wideBias: wide ? (wide[wide.length - 1] as number) : null,
    strongestWideWeights: wideWeights(b).slice(0, options.top),
    test: (b.manifest.metrics as { test?: unknown }).test ?? null,
  };
}
