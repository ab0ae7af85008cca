#!/usr/bin/env bash
# Starts or stops the local PostgreSQL, clamd and Kafka together.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: deploy/local/parts.sh {start|stop|status}
  start   start PostgreSQL, clamd and Kafka (each one only if not running)
  stop    stop all three; exits non-zero if any stop failed
  status  print each part's state; exit 0 only if all three are running
Settings: see deploy/local/env.sh. Kafka needs its jars first: deploy/local/kafka.sh fetch
EOF
  exit 2
}

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$deploy_dir/lib.sh"

parts=(postgres clamd kafka)

start() {
  local part started
  started="$(now_ms)"
  for part in "${parts[@]}"; do
    "$deploy_dir/$part.sh" start
  done
  log "all parts ready after $(seconds_since "$started")s"
  echo "MAILSHIELD_KAFKA_BROKERS=$MAILSHIELD_KAFKA_BROKERS"
  echo "MAILSHIELD_CLAMD_ADDRESS=$MAILSHIELD_CLAMD_ADDRESS"
  echo "MAILSHIELD_DATABASE_URL=$MAILSHIELD_DATABASE_URL"
}

# Stops in reverse order and goes on after a failure, so one broken part does not
# leave the others running.
stop() {
  local part failed=0 i
  for ((i = ${#parts[@]} - 1; i >= 0; i--)); do
    part="${parts[i]}"
    "$deploy_dir/$part.sh" stop || {
      log "stopping $part failed"
      failed=1
    }
  done
  return "$failed"
}

status() {
  local part failed=0
  for part in "${parts[@]}"; do
    "$deploy_dir/$part.sh" status || failed=1
  done
  return "$failed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
