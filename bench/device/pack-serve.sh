#!/usr/bin/env bash
# Packs the serving latency run (bench/device/serve-latency.ts) for the 16-core benchmark machine, which has no
# Node.js and no node_modules: Node's own binary; the CLI (and its cluster worker), the floor server and the driver bundled by esbuild
# (ONNX Runtime and DuckDB left external; `widedeep serve` loads no DuckDB); ONNX Runtime's Linux x64 binding;
# and a bundle of examples/synthetic.yaml trained here for one epoch.
#
#   bash bench/device/pack-serve.sh [out=.tmp/device/serve.tar.xz]
#
# Then, through the device tool (carry the tarball):  bash bench/device/serve-latency.sh .tmp/device/serve.tar.xz
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.tmp/device/serve.tar.xz}"
stage="$(mktemp -d)/pack-serve"
mkdir -p "$stage/node_modules" "$(dirname "$out")"
source bench/device/pack-lib.sh
bundle() { pack_bundle "$1" "$stage/$2"; }
# The CLI two folders below the pack's package.json, where it reads the version (src/core/version.ts); its
# worker process beside it (src/serve/cluster.ts finds it there).
bundle test/helpers/cli-entry.ts dist/cli/widedeep.js
bundle src/serve/cluster-worker.ts dist/cli/cluster-worker.js
bundle bench/serve-floor.ts serve-floor.js
bundle bench/device/serve-latency.ts serve-latency.js
node -e 'const p = require("./package.json"); console.log(JSON.stringify({ name: p.name, version: p.version, type: "module" }))' > "$stage/package.json"
pack_runtime "$stage"
# DuckDB does not travel (68 MB): the bundled CLI imports it at its top, so a stub stands in, which throws if
# anything uses it (`widedeep serve` reads no data files).
mkdir -p "$stage/node_modules/@duckdb/node-api"
echo '{"name":"@duckdb/node-api","type":"module","main":"index.js"}' > "$stage/node_modules/@duckdb/node-api/package.json"
cat > "$stage/node_modules/@duckdb/node-api/index.js" <<'JS'
const absent = () => { throw new Error('DuckDB is not in this pack (bench/device/pack-serve.sh)'); };
export class DuckDBInstance { static create() { absent(); } }
export class DuckDBBlobVector {}
export class DuckDBDataChunk { static create() { absent(); } }
export const BIGINT = {}, DOUBLE = {}, FLOAT = {}, VARCHAR = {};
export const LIST = absent, listValue = absent;
JS
node --import tsx test/helpers/cli-entry.ts fit --config examples/synthetic.yaml --epochs 1 --out "$stage/run" > /dev/null
mv "$stage/run/model" "$stage/bundle" && rm -rf "$stage/run"
pack_tar "$stage" "$out"
