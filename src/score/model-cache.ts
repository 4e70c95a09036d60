import type { LoadedBundle } from '../artifact/bundle.js';
import type { WideDeepModel } from '../model/wide-deep.js';
import { loadBundle } from '../artifact/bundle.js';

/**
 * The model of the range jobs a thread or process runs one after another: loading a bundle (ONNX sessions
 * included) costs more than a small range, so the last one loaded is kept until a job asks for another bundle
 * or thread count, or `releaseRangeModel` frees it.
 */
let cached: { readonly key: string; readonly loaded: Promise<{ model: WideDeepModel; bundle: LoadedBundle }> } | undefined;

export function rangeModel(dir: string, threads: number | undefined): Promise<{ model: WideDeepModel; bundle: LoadedBundle }> {
  const key = `${dir}\u0000${threads ?? ''}`;
  if (cached?.key !== key) {
    void releaseRangeModel();
    const loaded = loadBundle(dir, threads !== undefined ? { threads } : {});
    cached = { key, loaded };
    // A failed load is not kept: the next job tries again.
    loaded.catch(() => {
      if (cached?.loaded === loaded) cached = undefined;
    });
  }
  return cached.loaded;
}

/** Releases the kept model (its ONNX sessions); the next job loads its bundle again. */
export async function releaseRangeModel(): Promise<void> {
  const was = cached;
  cached = undefined;
  if (was === undefined) return;
  const loaded = await was.loaded.catch(() => undefined);
  await loaded?.model.release();
}
