import { WideDeepError } from '../core/errors.js';
import type { FloatArray, LabelArray } from './types.js';

/**
 * Input checks shared by every metric. Each names the offending array and index in `details.field`
 * (e.g. `predictions[3]`) so the caller can find the bad row.
 */

type Indexed = { readonly length: number; readonly [i: number]: unknown };

function bad(name: string, i: number, what: string, fix: string): never {
  throw new WideDeepError('DATA', `${name}[${i}] ${what}`, { field: `${name}[${i}]`, fix });
}

export function checkNonEmpty(n: number, what: string): void {
  if (n === 0) throw new WideDeepError('DATA', `${what}: no examples`, { fix: 'pass at least one example' });
}

export function checkLength(name: string, array: Indexed, expected: number, reference: string): void {
  if (array.length !== expected) {
    throw new WideDeepError('SHAPE', `${name} has ${array.length} entries but ${reference} has ${expected}`, {
      field: name,
      fix: `pass one ${name} entry per example`,
    });
  }
}

/** Scores may be any number but NaN (infinite logits rank fine). */
export function checkNotNaN(name: string, a: FloatArray): void {
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) bad(name, i, 'is NaN', 'check the model output for NaN (diverged training?)');
  }
}

export function checkFinite(name: string, a: FloatArray | LabelArray): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) bad(name, i, `is ${a[i]}, expected a finite number`, 'drop or impute the row');
  }
}

export function checkProbabilities(name: string, a: FloatArray): void {
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    if (!(p >= 0 && p <= 1)) bad(name, i, `is ${p}, expected a probability in [0, 1]`, 'apply a sigmoid/softmax first');
  }
}

export function checkBinaryLabels(name: string, a: LabelArray): void {
  for (let i = 0; i < a.length; i++) {
    const y = a[i]!;
    if (y !== 0 && y !== 1) bad(name, i, `is ${y}, expected 0 or 1`, 'binarize the labels');
  }
}

export function checkClassLabels(name: string, a: LabelArray, numClasses: number): void {
  for (let i = 0; i < a.length; i++) {
    const y = a[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < numClasses)) {
      bad(name, i, `is ${y}, expected a class index in [0, ${numClasses})`, 'encode classes as 0..k-1');
    }
  }
}

export function checkWeights(weights: FloatArray | undefined, n: number): void {
  if (weights === undefined) return;
  checkLength('weights', weights, n, 'predictions');
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && w < Infinity)) bad('weights', i, `is ${w}, expected a finite weight >= 0`, 'fix the weight column');
  }
}

/** Throws when a denominator of summed weights is zero (every example weighted 0). */
export function checkTotalWeight(total: number): void {
  if (total === 0) throw new WideDeepError('DATA', 'all weights are 0', { field: 'weights', fix: 'give some example a positive weight' });
}

export function checkPositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new WideDeepError('CONFIG', `${name} must be a positive integer, got ${value}`, { field: name });
  }
}

/** Unknown option keys are errors; the message lists the valid ones. */
export function checkKeys(what: string, obj: object, valid: readonly string[]): void {
  const unknown = Object.keys(obj).filter((k) => !valid.includes(k));
  if (unknown.length > 0) {
    throw new WideDeepError('CONFIG', `unknown ${what} option(s): ${unknown.join(', ')}`, {
      field: unknown[0] as string,
      fix: `valid options are ${valid.join(', ')}`,
    });
  }
}

/** Checks the common shape of a binary input: non-empty, aligned lengths, valid weights and 0/1 labels. */
export function checkBinaryInput(what: string, predictions: FloatArray, labels: LabelArray, weights: FloatArray | undefined): void {
  checkLength('labels', labels, predictions.length, 'predictions');
  checkNonEmpty(predictions.length, what);
  checkWeights(weights, predictions.length);
  checkBinaryLabels('labels', labels);
}
