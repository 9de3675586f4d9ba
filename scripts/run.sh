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
export MYSQL_HOST=127.0.0.1 MYSQL_PORT=$MARIADB_PORT MYSQL_USER=tributary MYSQL_PASSWORD=tributary
sql() { mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -utributary -ptributary "$@"; }

setsid ./bin/tributary local mariadb --dir "$data/mariadb" --port "$MARIADB_PORT" --init deployments/local/school.sql &
db=$!
# The serving store (Hologres speaks the PostgreSQL protocol).
setsid ./bin/tributary local postgres --dir "$data/postgres" --port "$PG_PORT" &
pg=$!
load=""
gen=""
probe=""

# The example external plugin (plugins/examples/signalscore), built on its
# own and found by the workers on their plugin path.
plugins="$root/bin/plugins"
mkdir -p "$plugins/signalscore"
go build -o "$plugins/signalscore/signalscore" ./plugins/examples/signalscore

setsid ./bin/tributary dev --data-dir "$data/dev" --rest "$rest" --broker "$broker" --id worker-1 --plugin-path "$plugins" &
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
  [ -n "$gen" ] && { kill -INT $gen 2>/dev/null; wait $gen 2>/dev/null; }
  [ -n "$probe" ] && { kill -INT $probe 2>/dev/null; wait $probe 2>/dev/null; echo; cat "$data/probe.txt"; }
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
sql -e 'SELECT 1 FROM school.orders LIMIT 1' >/dev/null || {
  echo "MariaDB on port $MARIADB_PORT does not answer as tributary; see $data/mariadb/mariadb.log" >&2; stop; }

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
setsid ./bin/tributary worker --bootstrap "$broker" --rest "$rest2" --id worker-2 --plugin-path "$plugins" &
second=$!
./bin/tributary ctl apply deployments/pipelines/demo
# The channel dimension (job 6 looks levels up in it) in full from the
# offline side before the stream applies its updates on top: Kafka keeps
# days, the backup keeps everything. Only keys the table lacks are loaded,
# so the stream's newer rows win. Nothing to do on a first run.
if [ -d "$BACKUP_DIR/ods_channel_name_dictionary" ]; then
  ./bin/tributary bootstrap -f deployments/pipelines/edu/registration-level.json \
    --into registration-level-serving --from "$BACKUP_DIR/ods_channel_name_dictionary" || true
fi
# The warehouse: the app collector, the seven jobs, their sinks and the
# backup of every ods/dwd/late/CDC topic (deployments/pipelines/edu).
# Job 5's audio and video chains were two connectors before they became
# one fanout (av-quality-state): a deployment from before drops them, or
# they would write dwd.av_state twice. The fanout, new, reads
# ods.agora_record from its start; the reports the old ones counted reach
# the window late (see docs/warehouse.md, Known limits).
for old in av-quality-audio av-quality-video; do
  ./bin/tributary ctl delete "$old" >/dev/null 2>&1 || true
done
./bin/tributary ctl apply deployments/pipelines/edu
# The collector answers once its task runs.
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://${APPLOG_LISTEN:-127.0.0.1:9099}/v1/events" && break
  sleep 0.2
done

# A school day in real time (tributary gen): live classes sending signals
# and audio/video reports, recorded courses, the channel dictionary over
# the collector; registrations and orders into MariaDB for CDC. A second
# make run goes on with new ids.
./bin/tributary gen --seed "$(date +%s)" --collector "http://${APPLOG_LISTEN:-127.0.0.1:9099}/v1/events" \
  --pipelines deployments/pipelines/edu --report "$data/gen-report.json" --progress 60s &
gen=$!
# What the run looks like from outside: the end-to-end latency of a probe
# through the collector to the serving store, every connector's rate and
# the workers' memory, printed when make run stops.
./bin/tributary probe --progress=false --report "$data/probe-report.json" >"$data/probe.txt" 2>&1 &
probe=$!

# The older demo database (school.*) keeps changing too; CDC carries it to
# ods.school.* and the demo sinks.
(
  while sleep 1; do
    sql school -e "INSERT INTO registrations (student_id, channel, level) VALUES (FLOOR(RAND()*10000), ELT(1+FLOOR(RAND()*3), 'app', 'web', 'partner'), 1+FLOOR(RAND()*3));
      INSERT INTO orders (student_id, amount, status) VALUES (FLOOR(RAND()*10000), ROUND(RAND()*500, 2), 1);
      UPDATE orders SET status = status + 2 WHERE status < 4 ORDER BY id LIMIT 1;" >/dev/null 2>&1 || true
  done
) &
load=$!

cat <<EOT

Tributary is running (Ctrl-C stops it; 'make run' again resumes).
  dashboard    http://$rest/ui/         (every worker serves it: http://$rest2/ui/)
  REST API     http://$rest/            (OpenAPI: http://$rest/openapi.yaml)
  metrics      http://$rest/metrics
  status       ./bin/tributary ctl list
  cluster      ./bin/tributary ctl workers     (worker-2 answers too: http://$rest2/)
  demo output  tail -f $DEMO_DIR/demo-events.jsonl
  CDC events   tail -f $DEMO_DIR/school-changes.jsonl      (MariaDB binlog → ods.school.*)
  app events   tail -f $DEMO_DIR/app-events.jsonl          (HTTP collector → ods.classroom_signal, ods.qos_log, ods.agora_record)
  signal ETL   tail -f $DEMO_DIR/student-signals.jsonl      (ods.classroom_signal → smt chain → dwd.student_signal)
  plugin       tail -f $DEMO_DIR/student-scores.jsonl       (dwd.student_signal → example.signalscore, out of process)
  dictionary   psql "$SERVING_URL" -c 'SELECT * FROM channel_name_dictionary'   (rowkey = md5(id))
  job 3        mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM timeline_signal_analysis ORDER BY start_time DESC LIMIT 10'
  job 4        mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM user_enter_classroom_take_time ORDER BY event_time DESC LIMIT 10'
  job 5        mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM user_av_record ORDER BY start_time DESC LIMIT 10'
  job 6        psql "$SERVING_URL" -c 'SELECT * FROM vk_app_es_sign_csh ORDER BY reg_date DESC, level'   (Elasticsearch instead when ES_URL is set)
  job 7        mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM staff_index ORDER BY attribution_time DESC, cc_id'
  load         the generator's progress is above; what it sent: $data/gen-report.json once it stops
  Lambda check ./bin/tributary validate --job all      (recomputes jobs 3–7 from the Parquet backup with DuckDB; the backup flushes every minute)
  merged views ./bin/tributary validate --job all --load, on a later day: the days before it into <table>_offline, then
               psql "$SERVING_URL" -c 'SELECT layer, count(*) FROM timeline_signal_analysis_all GROUP BY layer'
  measured     ./bin/tributary probe --duration 1m    (latency collector → serving store, events/s per connector, worker memory;
               the one running beside make run prints its figures when you stop it)
  post one     curl -d '[{"type":"signal","data":{}}]' http://${APPLOG_LISTEN:-127.0.0.1:9099}/v1/events   (→ ods.classroom_signal)
  MariaDB      mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary school
  serving      psql "$SERVING_URL" -c 'SELECT * FROM school_orders ORDER BY id DESC LIMIT 5'
  RDS results  mariadb -h127.0.0.1 -P$MARIADB_PORT -utributary -ptributary results -e 'SELECT * FROM orders_latest ORDER BY id DESC LIMIT 5'
  backup       find $BACKUP_DIR -name '*.parquet' | head     (Parquet by ds/hh, Asia/Shanghai; _SUCCESS when an hour closes)
  offsets      ./bin/tributary ctl offsets demo-file-sink
EOT
wait $dev $second $db $pg
