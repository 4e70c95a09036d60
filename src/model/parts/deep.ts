import { WideDeepError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { Value } from '../../graph/builder.js';
import { type DropoutInput, fillDropoutMask, linear } from '../../graph/nn.js';
import type { ExecTensor } from '../../runtime/executor.js';
import { DEEP_PARTS, type DeepPart } from '../deep-parts.js';
import { type ModelPart, type PartDef, SizedBuffers } from '../part.js';
import { embWidth, type ModelBatch, type ModelSizes, outputsOf } from '../sizes.js';

/**
 * The deep part: the dense network (`model.deep`: an MLP, or a GRU over a sequence with an MLP head; the
 * family declares what it reads, `deep-parts.ts`) over [pooled embeddings | numerics | sequences], and its
 * logit layer. Its parameters are the graph's (group `deep`, updated by the step's dense optimizer after the graph);
 * it feeds the numerics block `num` and, in training, its dropout masks.
 */
export const deepPart: PartDef = {
  group: 'deep',
  baseRate: (config) => config.optimizers.deep.lr,
  tables: () => [],
  gradInputs: () => [],
  denseOptimizers: (config) => ({ deep: config.optimizers.deep }),
  logit({ scope, sizes, config, training, input, onDropout }) {
    const flat: Value[] = [];
    const width = embWidth(sizes);
    if (width > 0) flat.push(input('emb', ['N', width]));
    if (sizes.denseWidth > 0) flat.push(input('num', ['N', sizes.denseWidth]));
    const family = DEEP_PARTS[config.deep.type] as DeepPart<unknown>;
    const sequences = new Map<string, { seq: Value; mask: Value }>();
    for (const key of family.sequencesOf(config.deep)) {
      const s = sizes.sequences.find((x) => x.key === key);
      if (!s) throw new WideDeepError('CONFIG', `no sequence feature ${key} in the feature spec`, { field: 'model.deep.sequence' });
      sequences.set(key, { seq: input(`seq_${key}`, ['N', s.length, s.dim]), mask: input(`mask_${key}`, ['N', s.length]) });
    }
    const trunk = family.build(scope, { flat, sequences }, config.deep, training);
    if (training) onDropout(trunk.dropoutInputs);
    return linear(scope, 'deep.logit', trunk.out, { units: outputsOf(sizes), init: config.deep.init });
  },
  create: ({ sizes, dropoutRng, dropout }) => new DeepModelPart(sizes, dropoutRng, dropout),
};

export class DeepModelPart implements ModelPart {
  readonly def = deepPart;
  readonly tables = [];
  private readonly masks;

  constructor(
    private readonly sizes: ModelSizes,
    readonly dropoutRng: Rng,
    private readonly dropout: readonly DropoutInput[],
  ) {
    this.masks = new SizedBuffers((n) => new Map(dropout.map((d) => [d.name, new Float32Array(n * d.width)])));
  }

  feed(batch: ModelBatch, feeds: Record<string, ExecTensor>, training: boolean): void {
    const n = batch.size;
    const w = this.sizes.denseWidth;
    if (w > 0) {
      const dense = batch.dense;
      if (!dense || dense.length !== n * w) {
        throw new WideDeepError('BATCH', `the dense block must be [${n}, ${w}], got ${dense?.length ?? 'none'} values`, { field: 'dense' });
      }
      feeds.num = { type: 'float32', data: dense, dims: [n, w] };
    }
    if (!training) return;
    const masks = this.masks.of(n);
    for (const d of this.dropout) {
      const m = masks.get(d.name)!;
      fillDropoutMask(this.dropoutRng, d.rate, m);
      feeds[d.name] = { type: 'float32', data: m, dims: [n, d.width] };
    }
  }

  /** The step's dense optimizer (StepRunner's DenseState) updated the parameters. */
  update(): void {}
}
