#!/usr/bin/env bash
# Packs what the scaling run needs on the 16-core benchmark machine into one file that the `device` tool can
# carry (no Node.js and no node_modules there): Node's own binary, the engine case bundled into two ESM files
# (the case and its sparse-lane worker, loaded beside it by src/core/worker-source.ts), and ONNX Runtime's
# Linux x64 binding only.
#
#   bash bench/device/pack.sh [out=.tmp/device/scaling.tar.xz]
#
# Then, through the device tool (carry the tarball):  bash bench/device/scaling.sh .tmp/device/scaling.tar.xz
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.tmp/device/scaling.tar.xz}"
stage="$(mktemp -d)/pack"
mkdir -p "$stage/node_modules" "$(dirname "$out")"
source bench/device/pack-lib.sh
for entry in bench/engine-case.ts src/sparse/lane-worker.ts; do
  pack_bundle "$entry" "$stage/$(basename "${entry%.ts}").js"
done
echo '{"type":"module"}' > "$stage/package.json"
pack_runtime "$stage"
pack_tar "$stage" "$out"
