#!/usr/bin/env bash
# Builds a worker (wasm32 + JS shim) with worker-build, using the tools
# scripts/setup.sh installed: worker-build would otherwise try to download
# wasm-bindgen and wasm-opt from GitHub, which these machines cannot.
#
#   bash scripts/build-worker.sh           the page worker    → build/worker/entry.mjs
#   bash scripts/build-worker.sh control   the control worker → build/control/worker/shim.mjs
#   bash scripts/build-worker.sh fault     the page worker with fault injection (tests only)
#                                          → build/fault/worker/entry.mjs
#
# The page worker's entry point is build/worker/entry.mjs: src/worker/entry.mjs
# (the guard that serves the origin's page if the wasm instance traps, and the
# fast path of src/worker/fast-path.mjs) beside worker-build's shim.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export WRANGLER_SEND_METRICS=false
# Own target dirs: switching features in one dir would rebuild the crate each time.
case "${1:-page}" in
  page) worker-build --release && cp src/worker/entry.mjs src/worker/fast-path.mjs build/worker/ ;;
  fault)
    CARGO_TARGET_DIR=target/fault worker-build --release --out-dir build/fault . --features fault-injection
    cp src/worker/entry.mjs src/worker/fast-path.mjs build/fault/worker/
    ;;
  control) CARGO_TARGET_DIR=target/control exec worker-build --release --out-dir build/control . --features control ;;
  *) echo "usage: $0 [page|control|fault]" >&2; exit 2 ;;
esac
