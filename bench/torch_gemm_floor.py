#!/usr/bin/python3
"""The GEMM floor of an engine case in PyTorch: the same matrix products as bench/gemm-floor-case.ts (forward,
weight gradient, input gradient of every layer (the first layer's towards the numerics too, ~1%) of the case's MLP), on the peer's BLAS set-up
(bench/torch_blas.py: OpenBLAS on the CPU's best kernel) and thread count. One JSON line.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_gemm_floor.py --case criteo [--threads 2]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_blas  # noqa: E402  (OpenBLAS selection, before torch)

torch_blas.TAG = "[torch_gemm_floor]"

# case: (batch, categorical features, embedding dim, numerics, hidden widths), as bench/engine-case.ts
CASES = {
    "small": (1024, 9, 8, 5, [256, 128, 64]),
    "criteo": (2048, 26, 16, 13, [1024, 512, 256]),
    "criteo_small": (2048, 26, 16, 13, [256, 128, 64]),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--blas", default="auto")
    args = ap.parse_args()
    torch, info = torch_blas.import_torch("torch_gemm_floor", args.threads, args.blas)
    n, n_cat, dim, n_num, hidden = CASES[args.case]
    emb = n_cat * dim
    widths = [emb + n_num] + hidden + [1]
    g = torch.Generator().manual_seed(1)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers.append((torch.randn(n, a, generator=g), torch.randn(a, b, generator=g), torch.randn(n, b, generator=g)))

    def step():
        for x, w, dy in layers:
            torch.mm(x, w)
            torch.mm(x.t(), dy)
            torch.mm(dy, w.t())

    steps = args.steps or {"criteo": 10, "small": 100}.get(args.case, 30)
    with torch.no_grad():
        for _ in range(3):
            step()
        # Per call, and the median of all calls: a floor should not carry the machine's preemptions.
        ms = []
        for _ in range(steps * args.repeats):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(ms)
    ms.sort()
    macs = sum(3 * n * a * b for a, b in zip(widths[:-1], widths[1:]))
    out = {"case": args.case, "engine": "torch", "batch": n, "layers": widths, "gemm_ms_median": med, "gemm_ms_p10": ms[len(ms) // 10], "calls": len(ms),
           "gflop_per_step": 2 * macs / 1e9, "gflops": 2 * macs / 1e6 / med, "samples_per_s": n / (med / 1000),
           "threads": args.threads, "torch": torch.__version__}
    out.update(info)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
