import type { FittedSpec } from '../../src/features/fitted-spec.js';
import type { ModelState } from '../../src/model/wide-deep.js';
import { type FitOptions, fitRun } from '../../src/train/pipeline.js';
import type { RunConfig } from '../../src/train/run-config.js';

export type ResumePoint = NonNullable<FitOptions['resume']>;

/**
 * Runs `config` and kills it (an error thrown from the checkpoint callback) right after the checkpoint of
 * epoch `killAfter`; returns that checkpoint, with the best state so far, as `--resume` would read it.
 */
export async function checkpointOfKilledRun(config: RunConfig, killAfter: number): Promise<ResumePoint> {
  let saved: ResumePoint | undefined;
  let spec: FittedSpec | undefined;
  let best: ModelState | undefined;
  const killed = new Error('killed');
  const outcome = await fitRun(config, {
    onReady: (_m, s) => (spec = s),
    events: {
      onCheckpoint: (model, trainer, isBest) => {
        if (isBest) best = model;
        saved = { spec: spec as FittedSpec, model, trainer, ...(best ? { best } : {}) };
        if (trainer.epochsDone === killAfter) throw killed;
      },
    },
  }).then(
    (r) => r,
    (e: unknown) => e,
  );
  if (outcome !== killed) throw new Error(`the run was not killed after epoch ${killAfter}: ${String(outcome)}`);
  return saved as ResumePoint;
}
