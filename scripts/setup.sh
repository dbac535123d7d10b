#!/usr/bin/env bash
# Installs what building and testing Tailor needs, and only what is missing:
# the wasm32 target, worker-build and wasm-bindgen-cli at exact versions, and
# cargo-fuzz (with the nightly toolchain it needs), Debian's chromium, and the
# npm packages of package-lock.json (wrangler + workerd, esbuild, binaryen,
# playwright-core, GrowthBook's SDK and edge app, OpenFeature's SDKs), and the Python
# packages of tests/e2e/requirements.txt (OpenFeature's Python SDK and OFREP
# provider) in .venv/.
# Idempotent; a no-op in about a second when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen-cli must match the wasm-bindgen the crate links, from Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf 'setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $NF}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # No --locked: its lockfile pins a yanked webpki-roots.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

CARGO_FUZZ_VERSION=0.13.2
if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain (cargo fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $NF}')" != "$CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about a minute, once)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

# Debian's chromium for the preview UI's browser test (playwright-core drives it).
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium (for the browser test)"
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq chromium
fi

# npm ci only when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.tailor-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.tailor-lock-hash
fi

# OpenFeature's Python SDK and OFREP provider (tests/e2e/ofrep.test.mjs), pinned
# in tests/e2e/requirements.txt, go into a venv under the repository (.venv/,
# gitignored), not the user site: Debian's python3 refuses `pip install --user`
# (PEP 668, "externally managed"); the user site is shared by every project of
# that user (root's, in CI), so its versions are not this repository's to pin;
# and a venv belongs to its work tree and goes with it (`rm -rf .venv` resets).
VENV=.venv
PY_REQUIREMENTS=tests/e2e/requirements.txt
if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  say "creating the Python venv $VENV"
  rm -rf "$VENV"
  if python3 -c 'import ensurepip' 2>/dev/null; then
    python3 -m venv "$VENV"
  else
    # Debian keeps ensurepip in python3-venv: without it the venv gets no pip of
    # its own, and python3's pip installs into it (--python) below.
    python3 -m venv --without-pip "$VENV"
  fi
fi
# The pinned packages missing from the venv or at another version (empty when all are there).
py_wrong=$("$VENV/bin/python" - "$PY_REQUIREMENTS" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
wrong = []
for line in open(sys.argv[1]):
    name, _, want = line.split("#", 1)[0].strip().partition("==")
    if not name:
        continue
    try:
        have = version(name)
    except PackageNotFoundError:
        have = "missing"
    if have != want:
        wrong.append(f"{name} {have}, pinned {want}")
print("; ".join(wrong))
PY
)
if [ -n "$py_wrong" ]; then
  say "installing Python packages from $PY_REQUIREMENTS into $VENV ($py_wrong)"
  if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    pip=("$VENV/bin/python" -m pip)
  else
    pip=(python3 -m pip --python "$VENV/bin/python")
  fi
  "${pip[@]}" install --quiet --disable-pip-version-check --no-input -r "$PY_REQUIREMENTS"
fi
