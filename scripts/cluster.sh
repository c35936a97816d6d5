#!/usr/bin/env bash
# `make cluster`: the deployment shape on one machine (docs/deploy.md). The
# local PostgreSQL (a database `hcp_cluster`, made afresh with demo data),
# two release servers on 127.0.0.1:3401 and :3402, and HAProxy (Debian's
# package, installed on first use) in front on http://127.0.0.1:3400,
# each request to the server with the fewest in progress (leastconn;
# CLUSTER_BALANCE=roundrobin to compare), server-sent events kept open.
# Ctrl-C stops everything. HCP_SERVER_BIN runs another server binary.
# With CLUSTER_LOAD=1 it runs the load tool (hcp-load) through the balancer instead
# (LOAD_DEVICES, LOAD_SECONDS, LOAD_ARGS such as --trace FILE.csv) and stops.
# Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

front=3400 a=3401 b=3402
password=${HCP_DEMO_PASSWORD:-cluster-demo-password}
pg=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=hcp_cluster
dir=target/cluster
mkdir -p "$dir"

if ! command -v haproxy >/dev/null; then
  echo "== cluster: installing HAProxy (Debian package)"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -q haproxy >/dev/null
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

psql -q "$pg" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
url="${pg%/*}/$db"

# Merging writers: about as many in all as the database has cores, so one
# each for two servers on a 2-core machine (docs/deploy.md).
serve() { # port demo
  LEPTOS_SITE_ADDR=127.0.0.1:$1 LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_OUTPUT_NAME=hcp DATABASE_URL=$url HCP_DEMO=$2 HCP_DEMO_PASSWORD=$password \
    HCP_PUBLIC_URL=http://127.0.0.1:$front HCP_CLIENT_IP_HEADER=X-Real-IP \
    HCP_LIMIT_ENROL_ADDRESS=${HCP_LIMIT_ENROL_ADDRESS:-0} HCP_LIMIT_LOGIN_ADDRESS=${HCP_LIMIT_LOGIN_ADDRESS:-0} \
    HCP_INGEST_WRITERS=${HCP_INGEST_WRITERS:-1} \
    RUST_LOG=${RUST_LOG:-warn} ${HCP_SERVER_BIN:-target/release/server} > "$dir/server-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.2; done
  echo "server on :$1 did not start; see $dir/server-$1.log" >&2; exit 1
}
serve $a 1   # the first loads the demo organisation and accounts
serve $b 0

cat > "$dir/haproxy.cfg" <<EOF
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
frontend hcp
    bind 127.0.0.1:$front
    http-request set-header X-Real-IP %[src]
    default_backend servers
backend servers
    # The server with the fewest requests in progress: a server slowed for
    # a moment (its writer's group, a statistics refresh) gets fewer new
    # ones instead of an equal share (docs/scale.md, stop 36).
    balance ${CLUSTER_BALANCE:-leastconn}
    option httpchk GET /
    server a 127.0.0.1:$a check
    server b 127.0.0.1:$b check
EOF
haproxy -f "$dir/haproxy.cfg" -db > "$dir/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$front/" && break; sleep 0.2; done

if [ "${CLUSTER_LOAD:-0}" = 1 ]; then
  cargo build -q --release -p hcp-load
  target/release/hcp-load --url "http://127.0.0.1:$front" --devices "${LOAD_DEVICES:-200}" \
    --seconds "${LOAD_SECONDS:-20}" --password "$password" --name load_cluster ${LOAD_ARGS:-}
  echo "BENCH load_cluster_server_error_lines $(cat "$dir"/server-*.log | grep -c ' ERROR ' || true) count"
  exit 0
fi

echo "好差评 cluster: http://127.0.0.1:$front (HAProxy) → servers :$a and :$b on PostgreSQL $db"
echo "demo accounts (admin, window1, …) share the password: $password"
echo "logs in $dir/; Ctrl-C stops everything"
wait
