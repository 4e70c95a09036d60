import { WideDeepError } from '../core/errors.js';
import type { StepRunner } from '../runtime/step-runner.js';
import { type SparseTable, TableAverage, checkDecay } from '../sparse/index.js';

/** Prefix of the averages' tensors in a model state (`ema.<table>`, `ema.dense.<param>`). */
export const AVERAGE_PREFIX = 'ema.';

/**
 * Exponential moving averages of all of a model's trainable weights (train.ema): the sparse tables' rows,
 * lazily and exactly (TableAverage), and the dense graph's parameters, after every step. Dense buffers
 * (batch-norm running statistics) are averages already and are left alone, as Keras' `use_ema` leaves
 * non-trainable variables.
 */
export class ModelAverage {
  readonly decay: number;
  readonly tables: ReadonlyMap<SparseTable, TableAverage>;
  private readonly dense: Map<string, Float32Array>;

  constructor(decay: number, tables: readonly SparseTable[], private readonly runner: StepRunner) {
    checkDecay(decay);
    this.decay = decay;
    this.tables = new Map(tables.map((t) => [t, new TableAverage(t, decay, runner.steps)]));
    this.dense = new Map(runner.program.params.map((p) => [p.name, Float32Array.from(runner.state.get(p.name) as Float32Array)]));
  }

  /** The average of `table` (undefined when it is not averaged). */
  of(table: SparseTable): TableAverage | undefined {
    return this.tables.get(table);
  }

  /** After a dense step: one averaging step of every dense parameter. */
  afterDenseStep(): void {
    const keep = 1 - this.decay;
    for (const [name, avg] of this.dense) {
      const w = this.runner.state.get(name) as Float32Array;
      for (let i = 0; i < avg.length; i++) {
        const a = avg[i] as number;
        avg[i] = a + keep * ((w[i] as number) - a);
      }
    }
  }

  /** Brings every table row's average to the current step. */
  sync(): void {
    for (const t of this.tables.values()) t.sync(this.runner.steps);
  }

  /** Exchanges all weights with their averages (call sync first; twice restores both exactly). */
  swap(): void {
    for (const t of this.tables.values()) t.swap();
    for (const [name, avg] of this.dense) {
      const w = this.runner.state.get(name) as Float32Array;
      for (let i = 0; i < avg.length; i++) {
        const x = w[i] as number;
        w[i] = avg[i] as number;
        avg[i] = x;
      }
    }
  }

  /** The averages as state tensors (synced first, so they are exact at the current step). */
  export(into: Map<string, Float32Array>): void {
    this.sync();
    for (const t of this.tables.values()) into.set(`${AVERAGE_PREFIX}${t.table.name}`, t.values.slice());
    for (const [name, avg] of this.dense) into.set(`${AVERAGE_PREFIX}dense.${name}`, avg.slice());
  }

  /** Restores what `export` wrote (at the state's step count, already loaded into the runner). */
  import(tensors: ReadonlyMap<string, Float32Array>): void {
    const missing = (name: string): WideDeepError =>
      new WideDeepError('BUNDLE', `the checkpoint has no weight average ${name}: it was written by a run without train.ema`, {
        field: name,
        fix: 'resume with the config the checkpoint was written with, or start a fresh run',
      });
    for (const t of this.tables.values()) {
      const v = tensors.get(`${AVERAGE_PREFIX}${t.table.name}`);
      if (!v) throw missing(`${AVERAGE_PREFIX}${t.table.name}`);
      t.load(v, this.runner.steps);
    }
    for (const [name, avg] of this.dense) {
      const key = `${AVERAGE_PREFIX}dense.${name}`;
      const v = tensors.get(key);
      if (!v) throw missing(key);
      if (v.length !== avg.length) {
        throw new WideDeepError('BUNDLE', `the weight average ${key} has ${v.length} values, the model needs ${avg.length}`, {
          field: key,
          fix: 'resume with the same feature spec and model config as when the checkpoint was written',
        });
      }
      avg.set(v);
    }
  }
}
