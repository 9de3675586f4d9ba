#!/usr/bin/env bash
# make run: the embedded broker and a worker (tributary dev) with state under
# deployments/local/data, the pipelines of deployments/pipelines applied through
# the REST API, and what to look at. Ctrl-C stops everything cleanly; running it
# again resumes with the data kept.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/install-deps.sh >/dev/null

data="$root/deployments/local/data"
mkdir -p "$data/demo"
rest=${TRIBUTARY_REST:-127.0.0.1:8083}
rest2=${TRIBUTARY_REST2:-127.0.0.1:8084}
broker=${TRIBUTARY_BROKER:-127.0.0.1:9092}
export TRIBUTARY_URL="http://$rest" DEMO_DIR="$data/demo"

setsid ./bin/tributary dev --data-dir "$data/dev" --rest "$rest" --broker "$broker" --id worker-1 &
dev=$!
second=""
# Ctrl-C reaches this script only (the workers run in their own sessions):
# the second worker stops first, handing its tasks over while the broker
# inside tributary dev is still there to take its commits, then dev stops.
trap 'echo; echo "stopping (tasks flush and commit first)…"; [ -n "$second" ] && { kill -TERM $second 2>/dev/null; wait $second 2>/dev/null; }; kill -TERM $dev 2>/dev/null; wait $dev 2>/dev/null; exit 0' INT TERM

for _ in $(seq 1 100); do
  ./bin/tributary ctl health >/dev/null 2>&1 && break
  kill -0 $dev 2>/dev/null || { echo "tributary dev exited; see the log above" >&2; exit 1; }
  sleep 0.2
done
# A second worker joins the same group: the connectors' tasks spread over
# both, and stopping either hands its tasks to the other.
setsid ./bin/tributary worker --bootstrap "$broker" --rest "$rest2" --id worker-2 &
second=$!
./bin/tributary ctl apply deployments/pipelines/demo

cat <<EOT

Tributary is running (Ctrl-C stops it; 'make run' again resumes).
  REST API     http://$rest/            (OpenAPI: http://$rest/openapi.yaml)
  metrics      http://$rest/metrics
  status       ./bin/tributary ctl list
  cluster      ./bin/tributary ctl workers     (worker-2 answers too: http://$rest2/)
  demo output  tail -f $DEMO_DIR/demo-events.jsonl
  offsets      ./bin/tributary ctl offsets demo-file-sink
EOT
wait $dev $second
