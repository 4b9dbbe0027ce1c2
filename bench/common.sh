# Shared by the benchmarks in bench/: source it after scripts/lib.sh.
#
# bench_setup NAME   the release binary, the open data, and a run of its own: a
#                    database and topic prefix named NAME_<time>, a free port,
#                    the pymongo venv for baselines ($venv/bin/python)
# synthetic_csv N    the path of a CSV file of N synthetic cities (bench/synthetic.py),
#                    written once and kept in the cache
# produce_rate N B   Kafka's own ProducerPerformance sending N messages of B bytes
#                    (acks=all, idempotent, linger 5 ms) to a topic of the run's:
#                    prints messages per second
# start_server LOG   a release server on that run, waited for until ready
#                    ($server, $started); stopped and the run's database and
#                    topics dropped when the benchmark exits

bench_setup() {
  bin="$CARGO_TARGET_DIR/release/geoledger"
  [ -x "$bin" ] || die "no release build at $bin: run scripts/bench (it builds one)"
  data=$("$GEOLEDGER_ROOT/scripts/fetch-data")
  run="${1}_$(date +%s)"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export GEOLEDGER_MONGODB_URI="mongodb://127.0.0.1:$GEOLEDGER_MONGO_PORT/$run"
  export GEOLEDGER_KAFKA_BROKERS="127.0.0.1:$GEOLEDGER_KAFKA_PORT" GEOLEDGER_TOPIC_PREFIX="$run."
  export GEOLEDGER_LOG=warn GEOLEDGER_LISTEN="127.0.0.1:$port" GEOLEDGER_SITE_ROOT="$(site_root)"
  venv="$GEOLEDGER_CACHE_DIR/bench-venv"
  [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "pymongo==4.10.1"; }
  trap bench_cleanup EXIT
}

synthetic_csv() {
  local file="$GEOLEDGER_CACHE_DIR/bench-synthetic-$1.csv"
  if [ ! -s "$file" ]; then
    say "writing $1 synthetic cities to $file"
    "$venv/bin/python" "$GEOLEDGER_ROOT/bench/import_synthetic.py" csv "$data/cities.csv" "$1" "$file.part"
    mv "$file.part" "$file"
  fi
  echo "$file"
}

produce_rate() {
  local cp="$KAFKA_HOME/libs/*" topic="$run.raw" out rate
  java -Xmx256m -cp "$cp" org.apache.kafka.tools.TopicCommand --bootstrap-server "$GEOLEDGER_KAFKA_BROKERS" \
    --create --topic "$topic" --partitions 6 --replication-factor 1 >/dev/null
  out=$(java -Xmx512m -cp "$cp" org.apache.kafka.tools.ProducerPerformance --topic "$topic" \
    --num-records "$1" --record-size "$2" --throughput -1 \
    --producer-props bootstrap.servers="$GEOLEDGER_KAFKA_BROKERS" acks=all enable.idempotence=true linger.ms=5 | tail -1)
  rate=$(echo "$out" | sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p')
  python3 -c "print(round(float('${rate:-0}')))"
}

start_server() {
  local log="$GEOLEDGER_DATA_DIR/logs/$1"
  started=$(date +%s.%N)
  "$bin" serve >"$log" 2>&1 &
  server=$!
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$server" 2>/dev/null || die "the server stopped: see $log"
    sleep 0.2
  done
}

bench_cleanup() {
  [ -z "${server:-}" ] || kill "$server" 2>/dev/null || true
  "$venv/bin/python" -c 'import sys, pymongo; pymongo.MongoClient(sys.argv[1]).drop_database(sys.argv[2])' \
    "mongodb://127.0.0.1:$GEOLEDGER_MONGO_PORT" "$run" >/dev/null 2>&1 || true
  local t
  for t in $(java -Xmx256m -cp "$KAFKA_HOME/libs/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$GEOLEDGER_KAFKA_BROKERS" --list 2>/dev/null | grep "^$run\\." || true); do
    java -Xmx256m -cp "$KAFKA_HOME/libs/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$GEOLEDGER_KAFKA_BROKERS" --delete --topic "$t" >/dev/null 2>&1 || true
  done
}
