#!/usr/bin/env bash
# Builds a worker (wasm32 + JS shim) with worker-build, using the tools
# scripts/setup.sh installed: worker-build would otherwise try to download
# wasm-bindgen and wasm-opt from GitHub, which these machines cannot.
#
#   bash scripts/build-worker.sh           the page worker    → build/worker/shim.mjs
#   bash scripts/build-worker.sh control   the control worker → build/control/worker/shim.mjs
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export WRANGLER_SEND_METRICS=false
case "${1:-page}" in
  page) exec worker-build --release ;;
  # Its own target dir: switching features in one dir would rebuild the crate each time.
  control) CARGO_TARGET_DIR=target/control exec worker-build --release --out-dir build/control . --features control ;;
  *) echo "usage: $0 [page|control]" >&2; exit 2 ;;
esac
