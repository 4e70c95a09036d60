import { readBundle } from '../artifact/bundle.js';
import { tableSize } from '../features/sizes.js';
import { idLabel } from '../model/explain.js';
import { flags, intFlag, out, required } from './args.js';

export const INSPECT_OPTIONS = {
  model: { type: 'string', value: 'dir', required: true, help: 'the model bundle' },
  json: { type: 'boolean', default: false, help: 'one JSON object on stdout; errors as JSON on stderr' },
  top: { type: 'string', value: 'k', help: 'strongest wide weights to list', shown: '15' },
} as const;

/** Features, table sizes, parameter counts and the strongest wide weights of a bundle. */
export async function inspect(argv: string[]): Promise<number> {
  const { values } = flags('inspect', argv, INSPECT_OPTIONS);
  const dir = required('inspect', values.model, 'model');
  const top = intFlag(values.top, 'top') ?? 15;
  // The checks of loadBundle (predict, serve, evaluate): a bundle they cannot load is an error here too.
  const b = await readBundle(dir, { loadable: true });
  const features = b.spec.columns.map((c) => ({
    name: c.name,
    type: c.type,
    feeds: c.feeds.join('+') || '-',
    tableSize: c.type === 'numeric' ? null : tableSize(c),
    embeddingDim: 'embeddingDim' in c ? c.embeddingDim : null,
  }));
  const params: Record<string, number> = { wide: 0, embeddings: 0, deep: 0 };
  for (const [name, t] of b.state.tensors) {
    const group = name.startsWith('wide') ? 'wide' : name.startsWith('emb.') ? 'embeddings' : 'deep';
    params[group] = (params[group] as number) + t.length;
  }
  // Strongest wide weights: walk the wide table feature by feature (ids laid end to end, bias last).
  const strongest: { feature: string; value: string; weight: number }[] = [];
  const wide = b.state.tensors.get('wide');
  if (wide) {
    let offset = 0;
    for (const c of b.spec.columns) {
      if (c.type === 'numeric' || !c.feeds.includes('wide')) continue;
      const n = tableSize(c);
      for (let id = 0; id < n; id++) strongest.push({ feature: c.name, value: idLabel(c, id), weight: wide[offset + id] as number });
      offset += n;
    }
    strongest.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight));
  }
  const report = {
    model: b.model.kind,
    deep: b.model.deep,
    objective: b.sizes.objective,
    steps: b.manifest.steps,
    createdAt: b.manifest.createdAt,
    features,
    parameters: params,
    wideBias: wide ? wide[wide.length - 1] : null,
    strongestWideWeights: strongest.slice(0, top),
    test: (b.manifest.metrics as { test?: unknown }).test ?? null,
  };
  if (values.json) {
    out(JSON.stringify(report));
    return 0;
  }
  out(`model ${report.model} (${report.objective}), deep ${b.model.deep.type}, ${report.steps} steps, ${report.createdAt}`);
  out('\nfeature                          type          feeds       table   dim');
  for (const f of features) out(`${f.name.padEnd(32)} ${f.type.padEnd(13)} ${f.feeds.padEnd(11)} ${String(f.tableSize ?? '-').padStart(6)}  ${f.embeddingDim ?? '-'}`);
  out(`\nparameters: wide ${params.wide}, embeddings ${params.embeddings}, deep ${params.deep}, total ${(params.wide ?? 0) + (params.embeddings ?? 0) + (params.deep ?? 0)}`);
  if (wide) {
    out(`\nstrongest wide weights (bias ${report.wideBias?.toFixed(4)}):`);
    for (const s of report.strongestWideWeights) out(`  ${s.weight >= 0 ? '+' : ''}${s.weight.toFixed(4)}  ${s.feature} = ${s.value}`);
  }
  return 0;
}
