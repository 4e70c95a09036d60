# What bench/device/pack.sh and pack-serve.sh share (sourced, from the repository root): bundling an entry
# with esbuild for a machine without node_modules, and the runtime that travels beside the bundles.

# bundle ENTRY STAGE/OUT.js: one ESM file, native packages left external, `require` made for CJS inside it.
pack_bundle() {
  npx esbuild "$1" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --external:onnxruntime-node --external:onnxruntime-web --external:@duckdb/node-api \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" \
    --outfile="$2"
}

# pack_runtime STAGE: Node's own binary and ONNX Runtime (onnxruntime-common, the Linux x64 binding only).
pack_runtime() {
  mkdir -p "$1/node_modules/onnxruntime-node/bin/napi-v6/linux"
  cp -r node_modules/onnxruntime-common "$1/node_modules/"
  cp node_modules/onnxruntime-node/package.json "$1/node_modules/onnxruntime-node/"
  cp -r node_modules/onnxruntime-node/dist "$1/node_modules/onnxruntime-node/"
  cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$1/node_modules/onnxruntime-node/bin/napi-v6/linux/"
  cp "$(command -v node)" "$1/node"
}

# pack_tar STAGE OUT: the stage folder (by its name) into OUT as .tar.xz; the stage's temp parent removed.
pack_tar() {
  tar -C "$(dirname "$1")" -cf - "$(basename "$1")" | xz -T0 -6 > "$2"
  rm -rf "$(dirname "$1")"
  ls -l "$2"
}
