import { describe, expect, it } from 'vitest';
import { logGamma, mean, pairedTTest, regularizedIncompleteBeta, sampleStd, studentTTwoSidedP } from '../../src/experiments/stats.js';
import { summarizeSuite } from '../../src/experiments/summary.js';
import { resultsTable, toMarkdown, toTerminal } from '../../src/experiments/tables.js';
import type { TrialRecord } from '../../src/experiments/trial.js';

/** I_x(a, b) for integer a, b: the binomial tail sum_{j=a}^{n} C(n, j) x^j (1-x)^(n-j), n = a + b - 1. */
function betaByBinomial(x: number, a: number, b: number): number {
  const n = a + b - 1;
  let s = 0;
  for (let j = a; j <= n; j++) {
    let logC = 0;
    for (let i = 1; i <= j; i++) logC += Math.log(n - j + i) - Math.log(i);
    s += Math.exp(logC + j * Math.log(x) + (n - j) * Math.log1p(-x));
  }
  return s;
}

describe('regularized incomplete beta', () => {
  it('matches closed forms', () => {
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 12);
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedIncompleteBeta(0.4, 3, 1)).toBeCloseTo(0.064, 12);
    expect(regularizedIncompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 12);
    expect(regularizedIncompleteBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 12);
    // I_x(1/2, 1/2) = (2 / pi) asin(sqrt x)
    expect(regularizedIncompleteBeta(0.25, 0.5, 0.5)).toBeCloseTo(1 / 3, 10);
    expect(regularizedIncompleteBeta(0.9, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(0.9)), 10);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it('matches the binomial tail for integer parameters, on both sides of the symmetry switch', () => {
    for (const [x, a, b] of [[0.1, 2, 9], [0.6, 30, 20], [0.95, 4, 2], [0.5, 12, 12], [0.01, 1, 50], [0.7, 3, 8]] as const) {
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(betaByBinomial(x, a, b), 11);
    }
  });

  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 9);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 9);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 9);
  });

  it('rejects parameters outside the domain', () => {
    expect(() => regularizedIncompleteBeta(1.5, 1, 1)).toThrow(/0 <= x <= 1/);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(/a, b > 0/);
  });
});

describe('Student t two-sided p-values', () => {
  it('df = 1 (Cauchy) and df = 2 have closed forms', () => {
    for (const t of [0.1, 1, 2.5, 12.706, 50]) {
      expect(studentTTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 10);
      expect(studentTTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    }
  });

  it('matches printed t tables (critical values at 5% and 1%)', () => {
    const table: [number, number, number][] = [
      [1, 12.706, 0.05], [2, 4.303, 0.05], [3, 3.182, 0.05], [4, 2.776, 0.05], [5, 2.571, 0.05],
      [9, 2.262, 0.05], [10, 2.228, 0.05], [20, 2.086, 0.05], [30, 2.042, 0.05],
      [2, 9.925, 0.01], [5, 4.032, 0.01], [10, 3.169, 0.01], [30, 2.75, 0.01],
    ];
    for (const [df, t, p] of table) expect(Math.abs(studentTTwoSidedP(t, df) - p)).toBeLessThan(3e-4);
  });

  it('t = 0 gives p = 1, infinite t gives 0, no degrees of freedom gives NaN', () => {
    expect(studentTTwoSidedP(0, 4)).toBe(1);
    expect(studentTTwoSidedP(Infinity, 4)).toBe(0);
    expect(studentTTwoSidedP(1, 0)).toBeNaN();
  });
});

describe('paired t-test', () => {
  it('matches a hand computation', () => {
    // d = [0.03, 0.02, 0.01]: mean 0.02, sd 0.01, t = 0.02 / (0.01 / sqrt 3) = 2 sqrt 3, df 2.
    const r = pairedTTest([0.8, 0.82, 0.81], [0.83, 0.84, 0.82]);
    expect(r.meanDiff).toBeCloseTo(0.02, 12);
    expect(r.stdDiff).toBeCloseTo(0.01, 12);
    expect(r.t).toBeCloseTo(2 * Math.sqrt(3), 9);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(1 - (2 * Math.sqrt(3)) / Math.sqrt(14), 9);
  });

  it('edge cases: one pair, constant and zero differences, unequal lengths', () => {
    expect(pairedTTest([1], [2]).p).toBeNaN();
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toMatchObject({ t: 0, p: 1 });
    expect(pairedTTest([1, 2, 3], [1.5, 2.5, 3.5]).p).toBeLessThan(1e-6);
    expect(() => pairedTTest([1, 2], [1])).toThrow(/equal lengths/);
  });

  it('mean and sample std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleStd([1])).toBeNaN();
  });
});

function record(variant: string, variantIndex: number, seed: number, auc: number): TrialRecord {
  return {
    format: 1, status: 'ok', suite: 's', variant, variantIndex, baseline: 'base', metric: 'test.auc', key: `${variant}-${seed}`, seed,
    overrides: {}, configHash: 'h', config: {}, objective: 'binary', history: [], validation: null, test: { auc, logLoss: 1 - auc },
    curves: null, longTail: null, seconds: 1, rowsPerSec: 1000, peakRssMB: 100, threads: 1, library: { name: 'widedeep', version: '0' },
    node: 'v20', dataFingerprint: null, error: null,
  };
}

describe('suite summary and tables', () => {
  const records = [
    ...[0.8, 0.82, 0.81].map((v, i) => record('base', 0, i + 1, v)),
    ...[0.83, 0.84, 0.82].map((v, i) => record('better', 1, i + 1, v)),
    ...[0.7, 0.72].map((v, i) => record('worse', 2, i + 1, v)),
    { ...record('broken', 3, 1, 0), status: 'failed' as const, test: null, error: 'boom' },
  ];

  it('mean +- std per variant, paired test against the baseline over common seeds, best first', () => {
    const s = summarizeSuite(records);
    expect(s.variants.map((v) => v.variant)).toEqual(['better', 'base', 'worse']);
    const better = s.variants[0]!;
    expect(better.mean).toBeCloseTo(0.83, 12);
    expect(better.std).toBeCloseTo(0.01, 12);
    expect(better.diff).toBeCloseTo(0.02, 12);
    expect(better.t).toBeCloseTo(2 * Math.sqrt(3), 9);
    expect(better.p).toBeCloseTo(0.0741799, 6);
    const worse = s.variants[2]!;
    expect(worse.pairs).toBe(2);
    expect(worse.diff).toBeCloseTo(((0.7 - 0.8) + (0.72 - 0.82)) / 2, 12);
    expect(s.failed).toBe(1);
    expect(s.variants[1]).toMatchObject({ isBaseline: true, diff: null, p: null });
  });

  it('lower-is-better metrics sort ascending', () => {
    const s = summarizeSuite(records, { metric: 'test.logLoss' });
    expect(s.higherIsBetter).toBe(false);
    expect(s.variants[0]!.variant).toBe('better');
  });

  it('renders as Markdown and as a terminal table', () => {
    const t = resultsTable(summarizeSuite(records));
    const md = toMarkdown(t);
    expect(md).toContain('| better | 3 | 0.8300 ± 0.0100 | +0.0200 | 3.46 | 0.074 |');
    expect(md).toContain('| base (baseline) | 3 | 0.8100 ± 0.0100 | - | - | - |');
    expect(md).toContain('1 trial(s) failed');
    const term = toTerminal(t).split('\n');
    expect(term[1]).toMatch(/^variant\s+seeds/);
    expect(new Set(term.slice(1, 5).map((l) => l.length)).size).toBeLessThanOrEqual(2);
  });
});
