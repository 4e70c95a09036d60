import { createInterface } from 'node:readline';
import { loadBundle } from '../artifact/bundle.js';
import { WideDeepError } from '../core/errors.js';
import { readChunks } from '../data/index.js';
import type { RowChunk } from '../data/types.js';
import { inputColumns } from '../features/checks.js';
import { rowsToChunk } from '../features/rows.js';
import { transform } from '../features/transform.js';
import { explainRows, predictionRows } from '../model/explain.js';
import { modelBatchOf } from '../model/from-spec.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import type { FittedSpec } from '../features/fitted-spec.js';
import { flags, intFlag, out, required } from './args.js';

const OPTIONS = {
  model: { type: 'string' },
  input: { type: 'string' },
  explain: { type: 'boolean', default: false },
  'top-k': { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

/** JSON objects from stdin, one per line, in chunks. */
async function* stdinChunks(size: number, columns: readonly string[]): AsyncGenerator<RowChunk> {
  let rows: Record<string, unknown>[] = [];
  let line = 0;
  let first = 1;
  for await (const text of createInterface({ input: process.stdin })) {
    line++;
    if (text.trim() === '') continue;
    try {
      rows.push(JSON.parse(text) as Record<string, unknown>);
    } catch (err) {
      throw new WideDeepError('DATA', `not a JSON object: ${(err as Error).message}`, { file: 'stdin', row: line, fix: 'send one JSON object per line' });
    }
    if (rows.length === size) {
      yield rowsToChunk(rows, { source: 'stdin', firstRowNumber: first, columns });
      first = line + 1;
      rows = [];
    }
  }
  if (rows.length > 0) yield rowsToChunk(rows, { source: 'stdin', firstRowNumber: first, columns });
}

/** Scores rows and writes one JSON line per row: the prediction, and with --explain its breakdown. */
export async function predictRows(model: WideDeepModel, spec: FittedSpec, chunks: AsyncIterable<RowChunk>, o: { explain: boolean; topK: number }): Promise<number> {
  let n = 0;
  for await (const chunk of chunks) {
    const fb = transform(spec, chunk, { mode: 'serve' });
    const batch = modelBatchOf(fb);
    if (o.explain) {
      const ex = await explainRows(model, spec, batch, o.topK);
      ex.forEach((e, i) => out(JSON.stringify({ row: fb.rowNumbers[i], ...e })));
    } else {
      const p = await model.predict(batch);
      predictionRows(p.prediction, batch.size, model.outputs).forEach((prediction, i) => out(JSON.stringify({ row: fb.rowNumbers[i], prediction })));
    }
    n += batch.size;
    if (fb.skippedRows > 0) process.stderr.write(`skipped ${fb.skippedRows} bad rows in ${fb.source} (first: ${fb.firstSkipReason})\n`);
  }
  return n;
}

export async function predict(argv: string[]): Promise<number> {
  const { values } = flags('predict', argv, OPTIONS);
  const dir = required('predict', values.model, 'model');
  const input = required('predict', values.input, 'input');
  const size = intFlag(values['batch-size'], 'batch-size') ?? 1024;
  const { model, bundle } = await loadBundle(dir);
  try {
    // JSON rows may leave a column out (missing, as `widedeep serve` takes it); a file must have every column.
    const chunks = input === '-' ? stdinChunks(size, inputColumns(bundle.spec)) : readChunks({ path: input, chunkSize: size });
    await predictRows(model, bundle.spec, chunks, { explain: values.explain, topK: intFlag(values['top-k'], 'top-k') ?? 5 });
  } finally {
    await model.release();
  }
  return 0;
}
