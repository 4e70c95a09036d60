#!/usr/bin/env bash
# Issue 15's latency table on two pinned cores of whatever machine it runs on (the quiet 16-core benchmark
# machine, through the device tool): unpacks bench/device/pack-serve.sh's tarball and runs the driver
# (bench/device/serve-latency.ts: widedeep serve and the floor server on core 1, then on cores 1-2 where the
# machine has them; the client on core 0).
# One JSON line per pinning in $OUT/serve-latency.jsonl (or .tmp/), progress on stderr.
#
#   bash bench/device/serve-latency.sh .tmp/device/serve.tar.xz [repeats=5]
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-.tmp}"
mkdir -p "$out"
tmp="$(mktemp -d)"; xz -dc "$1" | tar -C "$tmp" -xf -
p="$tmp/pack-serve"
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run() { (cd "$p" && timeout 300 ./node serve-latency.js --bundle bundle --cli dist/cli/widedeep.js --floor serve-floor.js --repeats "${2:-5}" --server-cpus "$1" --client-cpus 0); }
# The server on one core (the client on another: a 2-core machine's split), and where there are 3 cores or
# more, the server on two cores of its own (a 2-core serving machine, the client beside it).
{ run 1 "${2:-5}"; [ "$(nproc)" -ge 3 ] && run 1,2 "${2:-5}"; } > "$out/serve-latency.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cat "$out/serve-latency.jsonl"
