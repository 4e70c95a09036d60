import { AdagradRowOptimizer } from './adagrad.js';
import { FtrlRowOptimizer } from './ftrl.js';
import { LazyAdamRowOptimizer } from './lazy-adam.js';
import type { RowOptimizer, RowOptimizerConfig, RowOptimizerConfigInput } from './row-optimizer.js';
import { parseRowOptimizerConfig } from './row-optimizer.js';
import { SgdRowOptimizer } from './sgd.js';

/** Makes a row optimizer from plain config data (validated by `parseRowOptimizerConfig`). */
export function createRowOptimizer(config: RowOptimizerConfigInput | RowOptimizerConfig, path = 'optimizer'): RowOptimizer {
  const cfg = parseRowOptimizerConfig(config, path);
  switch (cfg.type) {
    case 'ftrl':
      return new FtrlRowOptimizer(cfg);
    case 'adagrad':
      return new AdagradRowOptimizer(cfg);
    case 'lazy-adam':
      return new LazyAdamRowOptimizer(cfg);
    case 'sgd':
      return new SgdRowOptimizer(cfg);
  }
}
