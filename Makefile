# 好差评. Two commands do all set-up on a fresh machine:
#   make run    build, create/migrate ./data/hcp.db, load demo data, serve on 127.0.0.1:3000
#   make test   every test: unit, property, server on SQLite and PostgreSQL, clippy, browser
# and `make bench` prints BENCH lines (see README).

SHELL := /bin/bash
# wasm-opt from npm binaryen (Debian's breaks hydration); cargo tools.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

SITE_ENV := LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=hcp

.PHONY: setup build build-front run test bench load cluster fmt lint demo-data

setup:
	@scripts/setup.sh

# The release build, redone only when a source changed (so `make run` on a
# built tree starts at once). Three bundles: the staff and terminal ones
# first (front end only: each its own site root and hash file), then the
# citizen one and the server. See ARCHITECTURE.md, "Two bundles".
BUILD_INPUTS := Cargo.toml Cargo.lock $(shell find domain app citizen staff hydrate server/src server/migrations style public -type f 2>/dev/null)
BUILT := target/release/.hcp-built

build: setup $(BUILT)

$(BUILT): $(BUILD_INPUTS)
	cargo leptos build --release --precompress --project hcp-staff --frontend-only
	cargo leptos build --release --precompress --project hcp-terminal --frontend-only
	cargo leptos build --release --precompress --project hcp
	touch $@

# The three bundles only (release wasm, css, assets), no server: `make test`
# drives the server binary its integration tests already built.
build-front: setup
	cargo leptos build --release --precompress --project hcp-staff --frontend-only
	cargo leptos build --release --precompress --project hcp-terminal --frontend-only
	cargo leptos build --release --precompress --project hcp --frontend-only

run: build
	mkdir -p data
	$(SITE_ENV) LEPTOS_SITE_ADDR=127.0.0.1:3000 DATABASE_URL=sqlite://data/hcp.db HCP_DEMO=1 \
		target/release/server

# A Zibo-like quarter (2022 Q4: 9,069,695 ratings, 11 districts) in
# ./data/zibo.db, with a supervisor account whose password it prints (README).
demo-data: build
	mkdir -p data
	DATABASE_URL=sqlite://data/zibo.db target/release/server generate $${RATINGS:-9069695} 2022-Q4

test: setup
	@scripts/test.sh

bench: build
	cargo bench -p server --bench ingest
	cargo bench -p server --bench reports
	cargo bench -p server --bench jobs
	cargo bench -p server --bench login
	cd end2end && npx playwright test -c playwright.bench.config.ts
	LOAD_DB=sqlite scripts/load.sh
	LOAD_DB=postgres scripts/load.sh
	CLUSTER_LOAD=1 scripts/cluster.sh

# Sync load: LOAD_DEVICES kiosks (200) back to back for LOAD_SECONDS (20)
# against the release server on a fresh database (LOAD_DB=sqlite|postgres).
load: build
	@scripts/load.sh

# Two servers on the local PostgreSQL behind HAProxy on 127.0.0.1:3400
# (docs/deploy.md); CLUSTER_LOAD=1 runs the sync load through it instead.
cluster: build
	@scripts/cluster.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --features app/ssr -- -D warnings
	cargo clippy -p domain -p app -p citizen -p staff -p hydrate-citizen -p hydrate-terminal -p hydrate-staff --lib \
		--features hydrate-citizen/hydrate,hydrate-terminal/hydrate,hydrate-staff/hydrate --target wasm32-unknown-unknown -- -D warnings
