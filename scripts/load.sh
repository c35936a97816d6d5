#!/usr/bin/env bash
# `make load`: starts the release server on 127.0.0.1 with a fresh database
# (SQLite by default; LOAD_DB=postgres for a fresh PostgreSQL database on the
# local server), enrols LOAD_DEVICES kiosks and has them sync back to back for
# LOAD_SECONDS (the `hcp-load` tool, load/), prints BENCH lines and the
# server's ERROR count, and stops the server. Bounded: loopback only, at most
# 1000 devices and 300 seconds (hcp-load refuses more). LOAD_ARGS passes more
# options to hcp-load (e.g. `--no-cases`, `--batch 50`, `--trace t.csv`).
# Every kiosk here sends hours' worth of ratings within seconds, which the
# misuse detector flags as device bursts (10 in 60 s); HCP_FLAG_DEVICE_BURST=0 (passed to the server)
# measures ingest without that path.
set -euo pipefail
cd "$(dirname "$0")/.."

devices=${LOAD_DEVICES:-200}
seconds=${LOAD_SECONDS:-20}
db=${LOAD_DB:-sqlite}
port=${LOAD_PORT:-3300}
password=load-demo-password
dir=target/load
# The load tool: small (no server code), built once in release.
cargo build -q --release -p hcp-load
rm -rf "$dir" && mkdir -p "$dir"
server= dropdb=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$dropdb" ]; then psql -q "$pg" -c "DROP DATABASE IF EXISTS $dropdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

case "$db" in
  sqlite) url="sqlite://$dir/load.db" ;;
  postgres)
    pg=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    name="hcp_load_$$"
    psql -q "$pg" -c "CREATE DATABASE $name"
    dropdb=$name
    url="${pg%/*}/$name" ;;
  *) echo "LOAD_DB is sqlite or postgres" >&2; exit 2 ;;
esac

LEPTOS_SITE_ADDR=127.0.0.1:$port LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_OUTPUT_NAME=hcp DATABASE_URL=$url HCP_DEMO=1 HCP_DEMO_PASSWORD=$password \
  HCP_LIMIT_ENROL_ADDRESS=0 HCP_LIMIT_LOGIN_ADDRESS=0 RUST_LOG=${LOAD_RUST_LOG:-warn} \
  "${HCP_SERVER_BIN:-target/release/server}" > "$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done

target/release/hcp-load --url "http://127.0.0.1:$port" --devices "$devices" --seconds "$seconds" \
  --password "$password" --pid "$server" --name "load_${db}" ${LOAD_ARGS:-}
echo "BENCH load_${db}_${devices}dev_server_error_lines $(grep -c ' ERROR ' "$dir/server.log" || true) count"
