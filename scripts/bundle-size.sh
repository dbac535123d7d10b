#!/usr/bin/env bash
# Builds and validates both deployable bundles with `wrangler deploy --dry-run
# --env production` (nothing is uploaded; each config's [build] command builds
# its worker first) and prints each wasm's size, raw and gzip: the page worker
# (every cold start pays for it) and the control worker (publishing). The page
# worker's production bundle must carry no static assets and no ASSETS binding:
# its origin is the zone's (the demo's [assets] is the top level's alone).
set -euo pipefail
cd "$(dirname "$0")/.."

measure() { # name, wrangler config, output dir
  local name=$1 config=$2 out=$3
  rm -rf "$out"
  WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run -c "$config" --env production --outdir "$out" >"$out.log" 2>&1 || {
    cat "$out.log"
    exit 1
  }
  grep -E "Total Upload|gzip" "$out.log" || true
  # The page worker's production [assets] is deploy/no-assets (only its
  # .assetsignore, which wrangler counts as read but never uploads).
  if grep -q 'env\.ASSETS ' "$out.log" || grep 'from the assets directory' "$out.log" | grep -qv '/deploy/no-assets$' ||
    [ -n "$(find deploy/no-assets -type f ! -name .assetsignore)" ]; then
    cat "$out.log"
    echo "bundle-size: the $name worker's production bundle has static assets or an ASSETS binding"
    exit 1
  fi
  local wasm
  wasm=$(find "$out" -name '*.wasm' | head -n 1)
  [ -n "$wasm" ] || { echo "bundle-size: no .wasm in $out"; cat "$out.log"; exit 1; }
  local raw gz
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  awk -v name="$name" -v raw="$raw" -v gz="$gz" 'BEGIN {
    printf "bundle (%s): wasm %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n", name, raw, raw / 1024, gz, gz / 1024
  }'
}

measure page wrangler.toml "$PWD/target/bundle"
measure control control/wrangler.toml "$PWD/target/bundle-control"
