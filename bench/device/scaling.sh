#!/usr/bin/env bash
# The scaling table of issue 14 in one command, on whatever machine it runs (16 cores on the benchmark
# machine; 2 here): for each thread count T in 1 2 4 8 16 up to the cores available, widedeep's engine cases
# (criteo, criteo_small) with T ONNX Runtime threads and no sparse workers, then with T-1 sparse workers,
# beside the PyTorch peer at T threads (bench/torch_engine.py). One JSON line per run in $OUT/scaling.jsonl
# (or .tmp/scaling.jsonl), the table (bench/device/scaling-table.mjs) on stdout at the end.
#
#   bash bench/device/scaling.sh [pack.tar.xz]   (with the pack of bench/device/pack.sh; without: tsx sources)
#
# SCALING_THREADS picks the thread counts (default "1 2 4 8 16"; e.g. "1 2 4" in one device call and "8 16" in
# the next, each within a call's 10 minutes); SCALING_SECONDS bounds each run (default 120). Lines are appended
# to scaling.jsonl as each run ends, so a call cut short keeps what it measured.
#
# On the benchmark machine PyTorch 2.11 is `python3` (WIDEDEEP_TORCH_PYTHON=python3, --blas system).
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-.tmp}"
mkdir -p "$out"
jsonl="$out/scaling.jsonl"
: > "$jsonl"
if [ -n "${1:-}" ]; then
  tmp="$(mktemp -d)"; xz -dc "$1" | tar -C "$tmp" -xf -
  ours=("$tmp/pack/node" "$tmp/pack/engine-case.js")
else
  ours=(node --import tsx bench/engine-case.ts)
fi
py="${WIDEDEEP_TORCH_PYTHON:-/usr/bin/python3}"
blas="${WIDEDEEP_TORCH_BLAS:-auto}"
cores="$(nproc)"
limit="${SCALING_SECONDS:-120}"
echo "cores: $cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
tag() { sed "s/^{/{\"who\":\"$1\",\"case_name\":\"$2\",\"T\":$3,\"W\":$4,/"; }
for t in ${SCALING_THREADS:-1 2 4 8 16}; do
  [ "$t" -gt "$cores" ] && break
  for c in criteo criteo_small; do
    OMP_WAIT_POLICY=PASSIVE timeout "$limit" "$py" bench/torch_engine.py --case "$c" --threads "$t" --blas "$blas" --repeats 3 2>/dev/null | tail -1 | tag torch "$c" "$t" 0 >> "$jsonl"
    timeout "$limit" "${ours[@]}" --case "$c" --threads "$t" --sparse-workers 0 --repeats 3 2>/dev/null | tail -1 | tag widedeep "$c" "$t" 0 >> "$jsonl"
    if [ "$t" -gt 1 ]; then
      timeout "$limit" "${ours[@]}" --case "$c" --threads "$t" --sparse-workers "$((t - 1))" --repeats 3 2>/dev/null | tail -1 | tag widedeep "$c" "$t" "$((t - 1))" >> "$jsonl"
    fi
    echo "T=$t $c done ($(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
node_bin="${ours[0]}"
"$node_bin" bench/device/scaling-table.mjs "$jsonl"
