#!/usr/bin/env bash
# A client of another language against the VTE gRPC server: Python grpcio from PyPI, the
# client's p50 per call next to the server's own histogram (`vte_grpc_call_seconds`).
#
# Installs grpcio and grpcio-tools into a virtual environment outside the clone
# (~/.cache/vte/venv, or $VTE_VENV), generates the Python stubs from proto/ with grpcio-tools,
# builds `crates/vte-service/examples/latency_server.rs` (the server every service runs, with the
# identity service and a reply the size of a page of offers) and starts it itself, with
# TCP_NODELAY off (what the services did before) and on; with TCP_NODELAY on, the client's p50
# must be within 2 ms of the server's (the script fails otherwise).
#
# With a vte binary as VTE_BENCH_PLATFORM, it also starts `vte up --demo` on ports shifted by
# 2000 and times `OffersService/SearchOffers` the same way.
#
#   benches/grpc-latency/run.sh [--calls 2000]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vte"
venv="${VTE_VENV:-$cache/venv}"
stubs="$cache/grpc-latency-stubs"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "grpcio==1.76.0" "grpcio-tools==1.76.0"

rm -rf "$stubs" && mkdir -p "$stubs"
(cd "$root/proto" && "$venv/bin/python" -m grpc_tools.protoc -I . \
  --python_out="$stubs" --grpc_python_out="$stubs" $(find vte -name '*.proto'))

cargo build --release --quiet -p vte-service --example latency_server
server="${CARGO_TARGET_DIR:-$root/target}/release/examples/latency_server"

bench() { PYTHONPATH="$stubs" "$venv/bin/python" "$root/benches/grpc-latency/bench.py" "$@"; }
echo "| calls to | n | client p50 | client p99 | client mean | server p50 (histogram) | server mean | p50 gap |"
echo "|---|---|---|---|---|---|---|---|"
bench --server "$server" --nodelay false "$@"
bench --server "$server" --nodelay true --expect-within-ms 2 "$@"
if [ -n "${VTE_BENCH_PLATFORM:-}" ]; then
  bench --platform "$VTE_BENCH_PLATFORM" --expect-within-ms 2 "$@"
fi
