#!/usr/bin/env bash
# make run: the embedded broker and a worker (tributary dev) with state under
# deployments/local/data, a local MariaDB whose binlog the CDC connector
# reads, the pipelines of deployments/pipelines applied through the REST API,
# a little load on the database, and what to look at. Ctrl-C stops everything cleanly; running it
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
export MARIADB_PORT=${MARIADB_PORT:-3307} PG_PORT=${PG_PORT:-5433}
export TRIBUTARY_URL="http://$rest" DEMO_DIR="$data/demo" BACKUP_DIR="$data/backup"
export SERVING_URL="postgres://tributary:tributary@127.0.0.1:$PG_PORT/tributary?sslmode=disable"
export RDS_URL="tributary:tributary@tcp(127.0.0.1:$MARIADB_PORT)/results"
sql() { mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -utributary -ptributary "$@"; }

setsid ./bin/tributary local mariadb --dir "$data/mariadb" --port "$MARIADB_PORT" --init deployments/local/school.sql &
db=$!
# The serving store (Hologres speaks the PostgreSQL protocol).
setsid ./bin/tributary local postgres --dir "$data/postgres" --port "$PG_PORT" &
pg=$!
load=""

setsid ./bin/tributary dev --data-dir "$data/dev" --rest "$rest" --broker "$broker" --id worker-1 &
dev=$!
second=""
# Ctrl-C reaches this script only (the workers run in their own sessions):
# the second worker stops first, handing its tasks over while the broker
# inside tributary dev is still there to take its commits, then dev stops.
# Every step tolerates a process that is already gone: under set -e a
# failing kill would end the trap before the servers are stopped.
stop() {
  set +e
  echo; echo "stopping (tasks flush and commit first)…"
  [ -n "$load" ] && kill $load 2>/dev/null
  [ -n "$second" ] && { kill -TERM $second 2>/dev/null; wait $second 2>/dev/null; }
  kill -TERM $dev 2>/dev/null; wait $dev 2>/dev/null
  kill -TERM $db $pg 2>/dev/null; wait $db $pg 2>/dev/null
  exit 0
}
trap stop INT TERM

for _ in $(seq 1 150); do
  sql -e 'SELECT 1 FROM school.orders LIMIT 1' >/dev/null 2>&1 && break
  kill -0 $db 2>/dev/null || { echo "MariaDB exited; see the log above" >&2; exit 1; }
  sleep 0.2
done

for _ in $(seq 1 150); do
  psql "$SERVING_URL" -Atqc 'SELECT 1' >/dev/null 2>&1 && break
  kill -0 $pg 2>/dev/null || { echo "PostgreSQL exited; see the log above" >&2; exit 1; }
  sleep 0.2
done

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

# Registrations and orders keep arriving in MariaDB; CDC carries them to
# ods.school.* (until 'tributary gen' plays a whole school day).
(
  while sleep 1; do
    sql school -e "INSERT INTO registrations (student_id, channel, level) VALUES (FLOOR(RAND()*10000), ELT(1+FLOOR(RAND()*3), 'app', 'web', 'partner'), 1+FLOOR(RAND()*3));
      INSERT INTO orders (student_id, amount, status) VALUES (FLOOR(RAND()*10000), ROUND(RAND()*500, 2), 1);
      UPDATE orders SET status = status + 2 WHERE status < 4 ORDER BY id LIMIT 1;" >/dev/null 2>&1 || true
    # The app posts classroom signals and QoS reports to the collector.
    now=$(date +%s%3N)
    curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary \
      "{\"type\":\"signal\",\"data\":{\"timestamp\":$now,\"userId\":$RANDOM,\"roomId\":42,\"msg\":{\"msg_data\":{\"action\":\"raise_hand\"}}}}
{\"type\":\"qos\",\"userId\":$RANDOM,\"classroomId\":42,\"extra\":{\"data_time\":$now,\"agora_audioState\":{\"lost\":$((RANDOM % 5))}}}" \
      "http://${APPLOG_LISTEN:-127.0.0.1:9099}/v1/events" || true
  done
) &
load=$!

cat <<EOT

Tributary is running (Ctrl-C stops it; 'make run' again resumes).
  REST API     http://$rest/            (OpenAPI: http://$rest/openapi.yaml)
  metrics      http://$rest/metrics
  status       ./bin/tributary ctl list
  cluster      ./bin/tributary ctl workers     (worker-2 answers too: http://$rest2/)
  demo output  tail -f $DEMO_DIR/demo-events.jsonl
  CDC events   tail -f $DEMO_DIR/school-changes.jsonl      (MariaDB binlog → ods.school.*)
  app events   tail -f $DEMO_DIR/app-events.jsonl          (HTTP collector → ods.classroom_signal, ods.qos_log)
  post one     curl -d '[{"type":"signal","data":{}}]' http://${APPLOG_LISTEN:-127.0.0.1:9099}/v1/events   (→ ods.classroom_signal)
  MariaDB      mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary school
  serving      psql "$SERVING_URL" -c 'SELECT * FROM school_orders ORDER BY id DESC LIMIT 5'
  RDS results  mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM orders_latest ORDER BY id DESC LIMIT 5'
  backup       find $BACKUP_DIR -name '*.parquet' | head     (Parquet by ds/hh, Asia/Shanghai; _SUCCESS when an hour closes)
  offsets      ./bin/tributary ctl offsets demo-file-sink
EOT
wait $dev $second $db $pg
