import type { ParameterGroup } from '../model/wide-deep.js';

/**
 * An epoch whose mean training loss is more than this many times the loss of the run's first step has
 * diverged. A learning rate of 1e6 puts the first epoch's mean at ~1e18-1e23 against a first step of ~0.7;
 * a run that learns ends its epochs well below its first step.
 */
export const DIVERGED_FACTOR = 10;

/** What to do about a diverged run: the learning rates it trained at, to lower. */
export function lowerRatesFix(groups: readonly ParameterGroup[]): string {
  const now = groups.map((g) => `${g.name} ${g.baseRate}`).join(', ');
  return `lower the learning rates in model.optimizers (lr, or alpha for ftrl), e.g. 10 times (now ${now})`;
}

/** A sentence on an epoch whose training loss diverged from the first step's, or null when it did not. */
export function divergence(epoch: number, trainLoss: number, firstStepLoss: number): string | null {
  if (!(firstStepLoss > 0 && trainLoss > DIVERGED_FACTOR * firstStepLoss)) return null;
  return `training diverged: the mean training loss of epoch ${epoch + 1} is ${trainLoss.toPrecision(3)}, over ${DIVERGED_FACTOR} times the first step's ${firstStepLoss.toPrecision(3)}; the model is unlikely to be better than a constant`;
}
