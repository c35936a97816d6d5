# 好差评. Two commands do all set-up on a fresh machine:
#   make run    build, create/migrate ./data/hcp.db, load demo data, serve on 127.0.0.1:3000
#   make test   every test: unit, property, server on SQLite and PostgreSQL, clippy, browser
# and `make bench` prints BENCH lines (see README).

SHELL := /bin/bash
# wasm-opt from npm binaryen (Debian's breaks hydration); cargo tools.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

SITE_ENV := LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=hcp

.PHONY: setup build run test bench fmt lint demo-data

setup:
	@scripts/setup.sh

build: setup
	cargo leptos build --release --precompress

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

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --features app/ssr -- -D warnings
	cargo clippy -p app --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
