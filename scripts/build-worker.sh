#!/usr/bin/env bash
# Builds the worker (wasm32 + JS shim) into build/ with worker-build, using
# the tools scripts/setup.sh installed: worker-build would otherwise try to
# download wasm-bindgen and wasm-opt from GitHub, which these machines cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$HOME/.cargo/bin/wasm-bindgen}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export WRANGLER_SEND_METRICS=false
exec worker-build --release "$@"
