import { WideDeepError } from '../core/errors.js';
import { originOf } from './batch-origin.js';
import type { ModelBatch } from './sizes.js';

/** The arrays of a prediction, [N, K] each (WideDeepModel's `Prediction`). */
interface Outputs {
  readonly logits: Float32Array;
  readonly prediction: Float32Array;
  readonly wideLogits: Float32Array;
}

/**
 * The one check of what the model returns, run by every `predict` (so by `widedeep predict`, `serve`, explain
 * and evaluation alike): every joint logit, wide logit and prediction must be finite. A NaN or infinite output
 * (NaN or huge weights, a diverged model) is an error naming the first such example's source row, never an
 * answer: JSON would write it as null, and metrics would be computed from it.
 */
export function checkFiniteOutput(batch: ModelBatch, p: Outputs, outputs: number): void {
  const n = batch.size * outputs;
  let at = -1;
  for (const a of [p.prediction, p.logits, p.wideLogits]) {
    const end = at >= 0 ? at : n;
    for (let j = 0; j < end; j++) {
      const v = a[j]!;
      if (v - v !== 0) {
        at = j;
        break;
      }
    }
  }
  if (at < 0) return;
  const i = Math.floor(at / outputs);
  const k = outputs === 1 ? '' : ` (output ${at % outputs})`;
  const origin = originOf(batch, i);
  const which = origin.row !== undefined ? 'this row' : `example ${i + 1} of the batch`;
  throw new WideDeepError(
    'RUNTIME',
    `the model's output for ${which} is not finite${k}: prediction ${p.prediction[at]}, logit ${p.logits[at]}, wide logit ${p.wideLogits[at]}`,
    { ...origin, fix: 'the model weights hold NaN or overflow float32: check the bundle (widedeep inspect), retrain with lower learning rates, or go back to an earlier checkpoint' },
  );
}
