/**
 * Plain float64 JavaScript references for the dense layers in src/graph/nn, written from the papers' and
 * PyTorch's equations independently of the graph code. Matrices are row-major Float64Arrays.
 */

export type Mat = Float64Array;

/** y[N, out] = x[N, in] W[in, out] + b[out] (b optional). */
export function linearRef(x: Mat, w: Mat, b: Mat | null, n: number, fin: number, fout: number): Mat {
  const y = new Float64Array(n * fout);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < fout; j++) {
      let s = b ? (b[j] as number) : 0;
      for (let k = 0; k < fin; k++) s += (x[i * fin + k] as number) * (w[k * fout + j] as number);
      y[i * fout + j] = s;
    }
  }
  return y;
}

export const sigmoidRef = (v: number): number => 1 / (1 + Math.exp(-v));

export function activationRef(kind: string, x: Mat): Mat {
  const f: Record<string, (v: number) => number> = {
    relu: (v) => Math.max(0, v),
    sigmoid: sigmoidRef,
    tanh: Math.tanh,
    linear: (v) => v,
  };
  return x.map(f[kind] as (v: number) => number);
}

export interface BnRef {
  readonly y: Mat;
  readonly nextMean: Mat;
  readonly nextVar: Mat;
}

/** Batch norm in training mode: batch mean, biased variance; running update with the unbiased variance. */
export function batchNormTrainRef(
  x: Mat, n: number, c: number, gamma: Mat, beta: Mat, runMean: Mat, runVar: Mat, momentum: number, eps: number,
): BnRef {
  const y = new Float64Array(n * c);
  const nextMean = new Float64Array(c);
  const nextVar = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * c + j] as number;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((x[i * c + j] as number) - mean) ** 2;
    const biased = ss / n;
    const unbiased = n > 1 ? ss / (n - 1) : 0;
    for (let i = 0; i < n; i++) {
      y[i * c + j] = (((x[i * c + j] as number) - mean) / Math.sqrt(biased + eps)) * (gamma[j] as number) + (beta[j] as number);
    }
    nextMean[j] = momentum * (runMean[j] as number) + (1 - momentum) * mean;
    nextVar[j] = momentum * (runVar[j] as number) + (1 - momentum) * unbiased;
  }
  return { y, nextMean, nextVar };
}

export function batchNormInferRef(x: Mat, n: number, c: number, gamma: Mat, beta: Mat, runMean: Mat, runVar: Mat, eps: number): Mat {
  const y = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const v = ((x[i * c + j] as number) - (runMean[j] as number)) / Math.sqrt((runVar[j] as number) + eps);
      y[i * c + j] = v * (gamma[j] as number) + (beta[j] as number);
    }
  }
  return y;
}

export interface GruWeights {
  /** [E, 3H], columns r | z | n. */
  readonly wIh: Mat;
  /** [H, 3H]. */
  readonly wHh: Mat;
  readonly bIh: Mat;
  readonly bHh: Mat;
}

/**
 * PyTorch's GRU step by step, h0 = 0; a step with mask 0 keeps h (h = m h' + (1 - m) h). seq [N, T, E],
 * mask [N, T]; returns the final h [N, H].
 */
export function gruRef(seq: Mat, mask: Mat, w: GruWeights, n: number, t: number, e: number, hs: number): Mat {
  const out = new Float64Array(n * hs);
  const at = (m: Mat, i: number): number => m[i] as number;
  for (let b = 0; b < n; b++) {
    let h = new Float64Array(hs);
    for (let s = 0; s < t; s++) {
      const x = seq.subarray((b * t + s) * e, (b * t + s + 1) * e);
      const gi = new Float64Array(3 * hs);
      const gh = new Float64Array(3 * hs);
      for (let j = 0; j < 3 * hs; j++) {
        let a = at(w.bIh, j);
        for (let k = 0; k < e; k++) a += at(x, k) * at(w.wIh, k * 3 * hs + j);
        gi[j] = a;
        let c = at(w.bHh, j);
        for (let k = 0; k < hs; k++) c += at(h, k) * at(w.wHh, k * 3 * hs + j);
        gh[j] = c;
      }
      const m = at(mask, b * t + s);
      const next = new Float64Array(hs);
      for (let j = 0; j < hs; j++) {
        const r = sigmoidRef(at(gi, j) + at(gh, j));
        const z = sigmoidRef(at(gi, hs + j) + at(gh, hs + j));
        const nn = Math.tanh(at(gi, 2 * hs + j) + r * at(gh, 2 * hs + j));
        const hNew = (1 - z) * nn + z * at(h, j);
        next[j] = m * hNew + (1 - m) * at(h, j);
      }
      h = next;
    }
    out.set(h, b * hs);
  }
  return out;
}
