import { dirname, resolve } from 'node:path';
import { loadBundle } from '../artifact/bundle.js';
import { exportOnnx } from '../artifact/onnx-export.js';
import { writeFileAtomic } from '../artifact/atomic-file.js';
import { WideDeepError } from '../core/errors.js';
import { flags, makeDirOf, out, required } from './args.js';
import { EXPORT_OPTIONS } from './options/export.js';

/**
 * Writes a bundle's model as one ONNX graph (src/artifact/onnx-export.ts): `<out>` (the .onnx file) and
 * `<out>.json` (OnnxLayout: which input is which bag). Each file is written to a temp name and renamed, so a
 * failed export leaves an earlier one whole.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = flags('export', argv, EXPORT_OPTIONS);
  const dir = required('export', values.model, 'model');
  const file = resolve(required('export', values.out, 'out'));
  if (!file.endsWith('.onnx')) throw new WideDeepError('CONFIG', `--out must name a .onnx file, got ${file}`, { field: '--out', fix: 'e.g. --out model.onnx' });
  const { model } = await loadBundle(dir);
  try {
    const { bytes, layout } = exportOnnx(model);
    await makeDirOf(file);
    for (const [path, data] of [[file, bytes], [`${file}.json`, `${JSON.stringify(layout, null, 2)}\n`]] as const) {
      try {
        await writeFileAtomic(path, data);
      } catch (err) {
        throw new WideDeepError('IO', `cannot write ${path}: ${(err as Error).message}`, { file: path, fix: `check that ${dirname(path)} exists and is writable` });
      }
    }
    out(JSON.stringify({ event: 'exported', onnx: file, layout: `${file}.json`, bytes: bytes.length, inputs: [layout.wide?.ids, layout.wide?.weights, ...layout.pooled.flatMap((p) => [p.ids, p.weights]), ...layout.sequences.flatMap((s) => [s.ids, s.mask]), layout.dense?.input].filter((x) => x !== undefined) }));
  } finally {
    await model.release();
  }
  return 0;
}
