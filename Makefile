# Tailor's two commands for a fresh machine are `make dev` and `make test`;
# each installs what it needs first (scripts/setup.sh). See DEVELOPING.md.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
WRANGLER := node_modules/.bin/wrangler
DEV_STATE := .wrangler/state

.PHONY: dev test setup cli build build-control build-fault seed lint unit wasm-test react llm-generator bench-wasm bench-e2e bench-workerd bench-loop-storage loop-demo vectors schema growthbook fuzz-build fuzz bundle deploy-check e2e bench clean

## dev: the demo site at http://127.0.0.1:8787, personalized from a seeded local KV,
## with the control worker beside it (publish with `tailor catalog push --to http://127.0.0.1:8787`).
dev: setup cli seed .dev.vars control/.dev.vars build-control
	node scripts/demo-generator.mjs --port 8788 & trap "kill $$!" EXIT; \
	$(WRANGLER) dev -c wrangler.toml -c control/wrangler.toml --ip 127.0.0.1 --port 8787 --persist-to $(DEV_STATE)

## test: every test (lint, native, bundle, end to end against wrangler dev).
test: setup lint unit wasm-test vectors react llm-generator schema growthbook fuzz-build bundle deploy-check e2e
	@echo "make test: all passed"

.dev.vars:
	cp .dev.vars.example .dev.vars

control/.dev.vars:
	cp control/.dev.vars.example control/.dev.vars

setup:
	@bash scripts/setup.sh

cli:
	cargo build --quiet --features cli

## build: the page worker (build/worker) and the control worker (build/control/worker).
build: setup build-control
	bash scripts/build-worker.sh

build-control: setup
	bash scripts/build-worker.sh control

## build-fault: the page worker with fault injection, for the end-to-end tests only (build/fault).
build-fault: setup
	bash scripts/build-worker.sh fault

## seed: publish catalog/demo.json into the local KV of `make dev`.
seed: cli
	@mkdir -p target/seed
	target/debug/tailor catalog kv-bulk catalog/demo.json --out target/seed/demo.json
	$(WRANGLER) kv bulk put target/seed/demo.json --binding CATALOG --local --persist-to $(DEV_STATE)

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets --features cli -- -D warnings
	cargo clippy --quiet --target wasm32-unknown-unknown -- -D warnings
	CARGO_TARGET_DIR=target/control cargo clippy --quiet --target wasm32-unknown-unknown --features control -- -D warnings
	CARGO_TARGET_DIR=target/fault cargo clippy --quiet --target wasm32-unknown-unknown --features fault-injection -- -D warnings

unit:
	cargo test --features cli

## wasm-test: the core on wasm32 under Node (wasm-bindgen-test).
wasm-test:
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --target wasm32-unknown-unknown --test wasm
	# The wasm benches are not run here, only built, so they cannot break unnoticed.
	cargo test --no-run --quiet --profile wasm-bench --target wasm32-unknown-unknown --test wasm_bench

## vectors: the Node and Python reference signers against tests/vectors/.
vectors:
	node --test examples/node/
	python3 -m unittest discover -s examples/python

## react: the @tailor-edge/react package (packages/react): server rendering, and hydration and
## client-side mounts in headless Chromium against a fake edge. No worker needed.
react: setup
	node --test --test-concurrency=1 packages/react/test/*.test.mjs
## llm-generator: the reference LLM generator against a local fake chat-completions API.
llm-generator:
	node --test examples/llm-generator/

## schema: catalog/catalog.schema.json against the demo catalog, bad documents and the CLI's validator.
schema: cli
	TAILOR_BIN=target/debug/tailor node --test tests/schema/

## growthbook: the installed @growthbook/growthbook is 1.8.0, passes cases.json, and gave the verdicts in tests/growthbook/sdk-1.8.json.
growthbook: setup
	node --test tests/growthbook/

## fuzz-build: every cargo-fuzz target builds (running them: `make fuzz`).
fuzz-build:
	cargo +nightly fuzz build

FUZZ_SECONDS ?= 60
## fuzz: runs each fuzz target for FUZZ_SECONDS on its committed corpus.
fuzz: fuzz-build
	for target in $$(cargo +nightly fuzz list); do \
	  cargo +nightly fuzz run $$target fuzz/corpus/$$target -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 || exit 1; \
	done

## bundle: the deployable bundles (wrangler deploy --dry-run --env production, both workers) and their wasm sizes.
bundle: setup
	bash scripts/bundle-size.sh

## deploy-check: `tailor init` in an empty folder, then `wrangler deploy --dry-run --env production`
## on what it wrote (both workers; offline, no Cloudflare login).
deploy-check: cli build
	bash scripts/deploy-check.sh

e2e: cli build build-fault
	node --test --test-concurrency=1 tests/e2e/

bench: bench-wasm bench-e2e bench-workerd bundle
	cargo bench

## loop-demo: simulated visitors → events → tailor stats aggregate → catalog push --stats, round by round.
loop-demo: cli build
	node scripts/loop-demo.mjs

## bench-e2e: page latency p50/p99 through wrangler dev: warm caches, generator delays 0 / 50 ms / 2 s.
bench-e2e: cli build
	node benches/e2e-latency.mjs

## bench-workerd: CPU, latency, time to first byte, cold start, bundle size and memory under plain workerd (Miniflare),
## Tailor beside a JS pass-through worker, an HTMLRewriter floor and GrowthBook's edge app (BENCH_QUICK=1 for a smoke run).
bench-workerd: cli build
	node benches/workerd.mjs

## bench-loop-storage: the loop's batch writes (dedup + counts upsert) into D1 vs a SQLite-backed Durable Object,
## each under wrangler dev: events/s, p50/p99 per batch, correctness and replay checks (BENCH_QUICK=1 for a smoke run).
bench-loop-storage:
	node bench/loop-storage/run.mjs

## bench-wasm: the cookie, decision and signal benches on wasm32 (release) under Node's V8.
bench-wasm:
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --profile wasm-bench --target wasm32-unknown-unknown --test wasm_bench -- --nocapture

clean:
	cargo clean
	rm -rf build target node_modules/.tailor-lock-hash .wrangler
