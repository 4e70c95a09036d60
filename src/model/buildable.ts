import { WideDeepError } from '../core/errors.js';
import type { ModelConfig } from './config.js';
import type { ModelSizes } from './sizes.js';

/** What a model of these sizes and config needs before anything is built (CONFIG errors naming the key). */
export function checkBuildable(sizes: ModelSizes, config: ModelConfig): void {
  if (sizes.objective === 'multiclass' && (sizes.numClasses ?? 0) < 2) {
    throw new WideDeepError('CONFIG', 'a multiclass objective needs numClasses >= 2', { field: 'label.classes' });
  }
  if (config.kind !== 'deep' && sizes.wide.length === 0) {
    throw new WideDeepError('CONFIG', `model kind ${config.kind} needs at least one wide feature`, {
      field: 'model.kind',
      fix: 'mark features with feeds: [wide], or use kind: deep',
    });
  }
}
