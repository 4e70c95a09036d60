/**
 * Whether a PyTorch peer result ran at its best, from the BLAS fields its JSON line carries (bench/torch_blas.py):
 * `blas` (openblas / reference / none), `blas_core` (the OpenBLAS kernel really loaded, `openblas_get_corename`),
 * `blas_core_best` (the best kernel for this CPU's instructions), `blas_core_below_best` and `blas_gemm_ok`
 * (a small GEMM checked against a sum of products that uses no BLAS). On some virtual machines OpenBLAS's CPU
 * detection falls back to its Prescott (SSE3) kernels, and PyTorch then trains the criteo case at a third of
 * its speed: a ratio against such a peer flatters widedeep, so bench/run.ts withholds it.
 */
type Json = Record<string, unknown>;

/** Why a ratio against this peer result would mislead, or null when nothing in it says so. */
export function peerHandicap(peer: Json): string | null {
  if (peer.blas === 'reference') return 'peer on the reference BLAS (libblas3, ~50x slower GEMM)';
  const core = typeof peer.blas_core === 'string' ? peer.blas_core : null;
  const best = typeof peer.blas_core_best === 'string' ? peer.blas_core_best : null;
  // Prescott is OpenBLAS's generic x86-64 fallback; older results carry no blas_core_below_best, only the name.
  if (core !== null && (peer.blas_core_below_best === true || /^prescott$/i.test(core))) {
    return `peer on fallback kernel ${core}${best !== null && best.toLowerCase() !== core.toLowerCase() ? ` (this CPU runs ${best})` : ''}`;
  }
  if (peer.blas_gemm_ok === false) return `peer's GEMM check failed on kernel ${core ?? 'unknown'}`;
  return null;
}

/** The reason to withhold a case's ratio: the first handicapped peer among its rounds, or null. */
export function withheldReason(peers: readonly Json[]): string | null {
  for (const p of peers) {
    const why = peerHandicap(p);
    if (why !== null) return why;
  }
  return null;
}
