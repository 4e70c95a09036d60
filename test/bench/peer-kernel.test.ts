import { describe, expect, it } from 'vitest';
import { peerHandicap, withheldReason } from '../../bench/peer-kernel.js';

// What bench/torch_blas.py puts in a peer's JSON line, on a CPU with AVX-512.
const atBest = { blas: 'openblas', blas_core: 'SkylakeX', blas_core_best: 'SkylakeX', blas_core_below_best: false, blas_gemm_ok: true };

describe('peerHandicap (bench/run.ts withholds the ratio against such a peer)', () => {
  it('a peer on the best kernel for its CPU passes', () => {
    expect(peerHandicap(atBest)).toBeNull();
    expect(peerHandicap({ ...atBest, blas_core: 'Cooperlake' })).toBeNull();
  });

  it('a peer on a kernel below what the CPU runs is on a fallback', () => {
    expect(peerHandicap({ ...atBest, blas_core: 'Haswell', blas_core_below_best: true })).toBe('peer on fallback kernel Haswell (this CPU runs SkylakeX)');
    expect(peerHandicap({ ...atBest, blas_core: 'Prescott', blas_core_below_best: true })).toBe('peer on fallback kernel Prescott (this CPU runs SkylakeX)');
  });

  it('Prescott counts as a fallback in results that predate blas_core_below_best', () => {
    expect(peerHandicap({ blas: 'openblas', blas_core: 'Prescott' })).toBe('peer on fallback kernel Prescott');
    expect(peerHandicap({ blas: 'openblas', blas_core: 'SkylakeX' })).toBeNull();
  });

  it('the reference BLAS and a failed GEMM check are handicaps too', () => {
    expect(peerHandicap({ blas: 'reference', blas_core: null })).toMatch(/^peer on the reference BLAS/);
    expect(peerHandicap({ ...atBest, blas_gemm_ok: false })).toBe("peer's GEMM check failed on kernel SkylakeX");
  });

  it('references that are not a BLAS peer (DuckDB, the same case at 1M rows) pass', () => {
    expect(peerHandicap({ samples_per_s: 1e6, engine: 'duckdb' })).toBeNull();
    expect(peerHandicap({ blas: 'none', blas_core: null })).toBeNull();
  });

  it('one handicapped round withholds the whole case', () => {
    expect(withheldReason([atBest, atBest])).toBeNull();
    expect(withheldReason([atBest, { ...atBest, blas_core: 'Prescott', blas_core_below_best: true }])).toBe('peer on fallback kernel Prescott (this CPU runs SkylakeX)');
    expect(withheldReason([])).toBeNull();
  });
});
