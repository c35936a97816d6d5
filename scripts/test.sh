#!/usr/bin/env bash
# `make test`: every test. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== test: %s\n' "$*"; }

step "format and lints (server and wasm builds, warnings are errors)"
make --no-print-directory lint

pg_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! pg_isready -q -d "$pg_url" 2>/dev/null; then
  printf '\n%s\n%s\n%s\n\n' \
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' \
    "!!! No PostgreSQL at $pg_url: every postgres:: server test will be SKIPPED !!!" \
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
fi

step "unit and property tests (domain), server integration tests (SQLite and PostgreSQL)"
# Each PostgreSQL test makes a database and drops it when it ends: none may
# be left behind (hundreds a run would slow the server down run after run).
test_dbs() { psql -At "$pg_url" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'hcp\_test\_%'" 2>/dev/null || echo 0; }
dbs_before=$(test_dbs)
# Bounded (each server test also fails by name after 300 s): a hang
# fails the run with a message instead of using up CI's time.
timeout --kill-after=30s 45m cargo test --workspace --features app/ssr ||
  { rc=$?; [ "$rc" = 124 ] && echo "!!! cargo test ran for 45 minutes and was stopped: a hung test" >&2; exit "$rc"; }
dbs_after=$(test_dbs)
if [ "$dbs_after" -gt "$dbs_before" ]; then
  echo "!!! the server tests left $((dbs_after - dbs_before)) PostgreSQL databases behind (hcp_test_*)" >&2
  exit 1
fi

# The browser tests drive the server binary `cargo test` just built (a
# release server would compile every dependency a second time, ~8 min on
# two cores); the bundles are release builds, as a kiosk gets them.
step "release build of the three bundles (wasm, js, css)"
make --no-print-directory build-front
cp target/release/hash.txt target/release/hash-staff.txt target/release/hash-terminal.txt target/debug/

step "browser tests (Playwright in Debian chromium, against target/debug/server)"
cd end2end && HCP_SERVER_BIN=../target/debug/server npx playwright test
