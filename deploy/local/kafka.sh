#!/usr/bin/env bash
# Runs a single-node Apache Kafka 3.9.1 (KRaft, broker and controller in one JVM) on loopback.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: deploy/local/kafka.sh {fetch|start|stop|status}
  fetch   download the Kafka jars from Maven Central into $MAILSHIELD_CACHE (once)
  start   format the storage if new, start the broker, create the mailshield topics
  stop    stop the broker (SIGTERM, then SIGKILL after 30 s)
  status  exit 0 if the broker is running
Settings: MAILSHIELD_KAFKA_PORT (9092), MAILSHIELD_KAFKA_CONTROLLER_PORT (9093),
  MAILSHIELD_KAFKA_PARTITIONS (4, for new topics only), MAILSHIELD_STATE, MAILSHIELD_CACHE.
EOF
  exit 2
}

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$deploy_dir/lib.sh"

kafka_version=3.9.1
pom="$deploy_dir/kafka/pom.xml"
libs_dir="$MAILSHIELD_CACHE/kafka-$kafka_version/libs"
# Records the checksum of the pom that filled libs_dir, so that editing the pom fetches again.
libs_stamp="$MAILSHIELD_CACHE/kafka-$kafka_version/pom.sha256"

state_dir="$MAILSHIELD_STATE/kafka"
data_dir="$state_dir/data"
log_dir="$state_dir/logs"
config_file="$state_dir/server.properties"
log4j_file="$state_dir/log4j.properties"
pid_file="$state_dir/kafka.pid"
out_file="$log_dir/kafka.out"

port="$MAILSHIELD_KAFKA_PORT"
controller_port="$MAILSHIELD_KAFKA_CONTROLLER_PORT"
partitions="$MAILSHIELD_KAFKA_PARTITIONS"
topics=(mailshield.inbound mailshield.scanned mailshield.verdicts mailshield.delivery-retry)
# Records carry whole messages, so the broker and topic size limits are 32 MiB.
# Producers and consumers have to raise their own limits to match.
max_record_bytes=33554432
start_timeout_s=60
stop_timeout_s=30

java_bin="${JAVA:-java}"
# Each CLI tool runs for about a second, so a small heap and the C1 compiler alone
# (TieredStopAtLevel=1) suffice and leave the CPU to the broker.
tool_opts=(-Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$log4j_file")

pom_checksum() {
  sha256sum "$pom" | cut -d' ' -f1
}

jars_fetched() {
  [[ -f "$libs_stamp" && "$(<"$libs_stamp")" == "$(pom_checksum)" ]] &&
    compgen -G "$libs_dir/kafka_2.13-$kafka_version.jar" >/dev/null
}

fetch() {
  if jars_fetched; then
    log "jars already in $libs_dir"
    return
  fi
  command -v mvn >/dev/null || die "mvn not found; install Maven (Debian package maven)"
  local started staging
  started="$(now_ms)"
  # Fetch into a fresh directory and swap it in, so an interrupted fetch or a changed
  # pom never leaves a mix of old and new jars.
  staging="$libs_dir.new"
  rm -rf "$staging"
  mkdir -p "$(dirname "$libs_dir")"
  log "fetching Kafka $kafka_version jars into $libs_dir"
  # Maven 3.8 prints colour reset codes even in batch mode, so sed removes them.
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$staging" 2>&1 |
    sed -e 's/\x1b\[[0-9;]*m//g' >&2
  rm -rf "$libs_dir"
  mv "$staging" "$libs_dir"
  pom_checksum >"$libs_stamp"
  log "fetched $(find "$libs_dir" -name '*.jar' | wc -l) jars in $(seconds_since "$started")s"
}

write_config() {
  mkdir -p "$data_dir" "$log_dir"
  cat >"$config_file" <<EOF
# Written by deploy/local/kafka.sh on every start, so edits here are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir

# With a single node, every replication factor and in-sync minimum is 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
default.replication.factor=1
# The broker creates __consumer_offsets (50 partitions) on the first consumer group
# request, so the first group join after a fresh format takes about 1 s longer
# (measured with kcat on a 2-core machine).

# Only kafka.sh creates topics, so a client with a misspelt topic name gets an error
# instead of a new topic with default settings.
auto.create.topics.enable=false
# The default 3 s delay would hold up the first join of every new consumer group,
# and tests create many groups.
group.initial.rebalance.delay.ms=0

message.max.bytes=$max_record_bytes
replica.fetch.max.bytes=$max_record_bytes
EOF

  cat >"$log4j_file" <<EOF
# Written by deploy/local/kafka.sh on every start, so edits here are lost.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$log_dir/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
EOF
}

# Formats the KRaft storage unless it is formatted already, so the cluster id stays.
format_storage() {
  if [[ -f "$data_dir/meta.properties" ]]; then
    return
  fi
  local cluster_id
  cluster_id="$("$java_bin" "${tool_opts[@]}" -cp "$libs_dir/*" kafka.tools.StorageTool random-uuid)"
  log "formatting $data_dir with cluster id $cluster_id"
  "$java_bin" "${tool_opts[@]}" -cp "$libs_dir/*" kafka.tools.StorageTool format \
    --config "$config_file" --cluster-id "$cluster_id" --ignore-formatted >>"$out_file" 2>&1 ||
    die "formatting $data_dir failed; see $out_file"
}

topic_command() {
  "$java_bin" "${tool_opts[@]}" -cp "$libs_dir/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "127.0.0.1:$port" "$@"
}

# Creates the topics that are missing. Existing topics keep their partition count.
create_topics() {
  local existing topic
  existing="$(topic_command --list 2>>"$out_file")" || die "listing topics failed; see $out_file"
  for topic in "${topics[@]}"; do
    if grep -qxF "$topic" <<<"$existing"; then
      continue
    fi
    log "creating topic $topic ($partitions partitions)"
    topic_command --create --if-not-exists --topic "$topic" --partitions "$partitions" \
      --replication-factor 1 --config "max.message.bytes=$max_record_bytes" >>"$out_file" 2>&1 ||
      die "creating topic $topic failed; see $out_file"
  done
}

start() {
  local pid started
  if pid="$(live_pid "$pid_file" "$config_file")"; then
    log "already running (pid $pid) on 127.0.0.1:$port"
    create_topics
    return
  fi
  jars_fetched || die "Kafka jars missing in $libs_dir; run: deploy/local/kafka.sh fetch"
  command -v "$java_bin" >/dev/null || die "java not found; install a JDK 17 (Debian package default-jdk-headless)"
  local busy_port
  for busy_port in "$port" "$controller_port"; do
    if port_open "$busy_port"; then
      die "port $busy_port on 127.0.0.1 is in use by another process; stop it or set MAILSHIELD_KAFKA_PORT / MAILSHIELD_KAFKA_CONTROLLER_PORT"
    fi
  done

  started="$(now_ms)"
  write_config
  format_storage

  # nohup and no terminal input let the broker outlive the shell that started it.
  nohup "$java_bin" -Xms512m -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$log4j_file" -Dkafka.logs.dir="$log_dir" \
    -cp "$libs_dir/*" kafka.Kafka "$config_file" >>"$out_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"

  if ! wait_for_port "$port" "$pid" "$start_timeout_s" "$log_dir/server.log" "Kafka"; then
    stop_pid "$pid" 5 "Kafka"
    rm -f "$pid_file"
    die "Kafka failed to start; full logs in $log_dir"
  fi
  log "broker listening on 127.0.0.1:$port (pid $pid) after $(seconds_since "$started")s"
  create_topics
  log "ready after $(seconds_since "$started")s; state in $state_dir"
}

stop() {
  local pid
  if ! pid="$(live_pid "$pid_file" "$config_file")"; then
    log "not running"
    rm -f "$pid_file"
    return
  fi
  log "stopping pid $pid"
  stop_pid "$pid" "$stop_timeout_s" "Kafka"
  rm -f "$pid_file"
  log "stopped"
}

status() {
  local pid
  if pid="$(live_pid "$pid_file" "$config_file")"; then
    echo "kafka: running (pid $pid) on 127.0.0.1:$port, state in $state_dir"
  else
    echo "kafka: stopped"
    return 1
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
