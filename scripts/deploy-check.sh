#!/usr/bin/env bash
# "Production in one command", checked: `tailor init` in an empty folder, then
# `wrangler deploy --dry-run --env production` on what it wrote, the control
# worker first as a team would deploy it. Nothing is uploaded and no Cloudflare
# login is used: wrangler gets a config folder of its own (no stored login)
# and no API token from the environment. Each dry run must report the
# production bindings, and no ASSETS origin and no static assets.
#
# Needs target/debug/tailor (`make cli`) and both workers in build/ (`make
# build`): the configs `tailor init` writes name them as `main`, with no
# [build] command of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$work/config"
unset CLOUDFLARE_API_TOKEN CLOUDFLARE_API_KEY CLOUDFLARE_EMAIL CLOUDFLARE_ACCOUNT_ID

for built in target/debug/tailor build/worker/entry.mjs build/control/worker/shim.mjs; do
  [ -f "$built" ] || { echo "deploy-check: $built is missing (make cli build)"; exit 1; }
done

site="$work/site"
mkdir "$site"
(cd "$site" && "$root/target/debug/tailor" init --site deploy-check --route 'www.example.com/*' --build-dir "$root/build") >"$work/init.log" || {
  cat "$work/init.log"
  exit 1
}
(cd "$site" && "$root/target/debug/tailor" catalog validate catalog.json)

# label, wrangler config (in the site folder), then the bindings it must report.
dry_run() {
  local label=$1 config=$2 log="$work/$1.log"
  shift 2
  (cd "$site" && "$root/node_modules/.bin/wrangler" deploy --dry-run -c "$config" --env production --outdir "$work/out-$label") >"$log" 2>&1 || {
    cat "$log"
    echo "deploy-check: wrangler deploy --dry-run --env production failed for the $label worker"
    exit 1
  }
  local binding
  for binding in "$@"; do
    grep -q "env\.$binding " "$log" || { cat "$log"; echo "deploy-check: $label: no $binding binding"; exit 1; }
  done
  if grep -qE 'env\.ASSETS |env\.ORIGIN_URL |from the assets directory' "$log"; then
    cat "$log"
    echo "deploy-check: $label: production must fetch from the zone's origin (no ASSETS, no ORIGIN_URL, no assets)"
    exit 1
  fi
  echo "deploy-check: tailor init → wrangler deploy --dry-run --env production ($label): $(grep -E '^Total Upload' "$log")"
}

dry_run control control/wrangler.toml CATALOG LOOP TAILOR_SITE
dry_run page wrangler.toml CATALOG CONTROL EVENTS BEACON_LIMIT TAILOR_SITE TAILOR_PREVIEW
