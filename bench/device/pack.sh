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
banner="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
for entry in bench/engine-case.ts src/sparse/lane-worker.ts; do
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:onnxruntime-node --external:onnxruntime-web --external:@duckdb/node-api \
    --banner:js="$banner" --outfile="$stage/$(basename "${entry%.ts}").js"
done
echo '{"type":"module"}' > "$stage/package.json"
cp -r node_modules/onnxruntime-common "$stage/node_modules/"
mkdir -p "$stage/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp node_modules/onnxruntime-node/package.json "$stage/node_modules/onnxruntime-node/"
cp -r node_modules/onnxruntime-node/dist "$stage/node_modules/onnxruntime-node/"
cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$stage/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp "$(command -v node)" "$stage/node"
tar -C "$(dirname "$stage")" -cf - pack | xz -T0 -6 > "$out"
rm -rf "$(dirname "$stage")"
ls -l "$out"
