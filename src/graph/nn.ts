/**
 * Dense layers on the graph builder, composed only from ops in ops.ts so the autodiff differentiates them.
 * Each layer takes a ParamScope, a unique name prefix (its parameters are named `<name>.<...>`) and one
 * plain-JSON config object, checked at build time (unknown keys and bad values are CONFIG errors naming
 * the key).
 */
export { type ActivationKind, ACTIVATIONS, type LinearConfig, activation, linear } from './nn/linear.js';
export { dropout } from './nn/dropout.js';
export { fillDropoutMask } from './nn/dropout-mask.js';
export { type BatchNormConfig, batchNorm } from './nn/batch-norm.js';
export { type DropoutInput, type MlpConfig, type MlpResult, mlp } from './nn/mlp.js';
export { type GruConfig, gru } from './nn/gru.js';
