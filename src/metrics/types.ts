/** Model outputs: probabilities, logits or regression values, one per example (or n * k for multi-class). */
export type FloatArray = Float32Array | Float64Array;

/** Labels: 0/1 for binary and ranking metrics, class indices for multi-class, any finite value for regression. */
export type LabelArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One user id per example, aligned with predictions and labels (ranking metrics group examples by it). */
export type UserIds = Int32Array | readonly (number | string)[];

/** Optional per-example weights: finite and >= 0, aligned with predictions. */
export interface WeightOption {
  readonly weights?: FloatArray;
}
