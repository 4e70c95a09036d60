import type * as OrtCommon from 'onnxruntime-common';
import { WideDeepError } from '../core/errors.js';
import type { ExecTensor, Session } from './executor.js';

type Ort = { Tensor: typeof OrtCommon.Tensor };

/** A Session over any onnxruntime InferenceSession (node or web share the onnxruntime-common API). */
export class OrtSession implements Session {
  constructor(
    private readonly ort: Ort,
    private readonly session: OrtCommon.InferenceSession,
    private readonly preallocates: boolean,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(
    feeds: Readonly<Record<string, ExecTensor>>,
    outputs: Readonly<Record<string, ExecTensor | null>>,
  ): Promise<Record<string, ExecTensor>> {
    const ortFeeds: Record<string, OrtCommon.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = this.toOrt(t);
    const fetches: Record<string, OrtCommon.Tensor | null> = {};
    for (const [name, t] of Object.entries(outputs)) fetches[name] = t && this.preallocates ? this.toOrt(t) : null;
    let result: OrtCommon.InferenceSession.ReturnType;
    try {
      result = await this.session.run(ortFeeds, fetches);
    } catch (err) {
      throw new WideDeepError('RUNTIME', `ONNX Runtime failed: ${(err as Error).message}`, {}, { cause: err });
    }
    const out: Record<string, ExecTensor> = {};
    for (const [name, want] of Object.entries(outputs)) {
      const r = result[name];
      if (!r) throw new WideDeepError('RUNTIME', `ONNX Runtime returned no output ${name}`);
      // A pre-allocated output is where ONNX Runtime wrote it; onnxruntime-node returns a copy of it in a new
      // buffer besides, which is not copied back (a training step's outputs are every parameter's gradient).
      if (want && this.preallocates) {
        out[name] = want;
        continue;
      }
      const data = r.data as ExecTensor['data'];
      if (want && data !== want.data) {
        if (want.data.length !== data.length) {
          throw new WideDeepError('RUNTIME', `output ${name} has ${data.length} values, its buffer holds ${want.data.length}`);
        }
        (want.data as { set(a: ArrayLike<unknown>): void }).set(data as ArrayLike<unknown>);
        out[name] = want;
      } else {
        out[name] = { type: r.type as ExecTensor['type'], data, dims: r.dims };
      }
    }
    return out;
  }

  private toOrt(t: ExecTensor): OrtCommon.Tensor {
    return new this.ort.Tensor(t.type, t.data, t.dims);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
