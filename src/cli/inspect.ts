import { readBundle } from '../artifact/bundle.js';
import { modelFacts } from '../studio/model-facts.js';
import { flags, intFlag, out, required } from './args.js';
import { INSPECT_OPTIONS } from './options/inspect.js';

/** Features, table sizes, parameter counts and the strongest wide weights of a bundle. */
export async function inspect(argv: string[]): Promise<number> {
  const { values } = flags('inspect', argv, INSPECT_OPTIONS);
  const dir = required('inspect', values.model, 'model');
  const top = intFlag(values.top, 'top') ?? 15;
  // The checks of loadBundle (predict, serve, evaluate): a bundle they cannot load is an error here too.
  const b = await readBundle(dir, { loadable: true });
  const report = modelFacts(b, { top });
  const { features, parameters: params } = report;
  const wide = report.wideBias !== null;
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
