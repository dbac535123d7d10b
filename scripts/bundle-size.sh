#!/usr/bin/env bash
# Builds and validates the deployable bundle with `wrangler deploy --dry-run`
# (nothing is uploaded) and prints the wasm's size, raw and gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bundle
rm -rf "$out"
WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run --outdir "$out" >"$out.log" 2>&1 || {
  cat "$out.log"
  exit 1
}
grep -E "Total Upload|gzip" "$out.log" || true
wasm=$(find "$out" -name '*.wasm' | head -n 1)
[ -n "$wasm" ] || { echo "bundle-size: no .wasm in $out"; cat "$out.log"; exit 1; }
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "bundle: wasm %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n", raw, raw / 1024, gz, gz / 1024
}'
