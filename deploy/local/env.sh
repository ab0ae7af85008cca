# shellcheck shell=bash
# Addresses and directories of the local Kafka, clamd and PostgreSQL.
#
# Usage: source deploy/local/env.sh
#
# Every variable keeps a value that is already set, so a caller can move one part
# (for example MAILSHIELD_KAFKA_PORT=19092) and the derived addresses follow.
# This file changes no shell options, because it is also sourced into interactive
# shells, where `set -e` would close the shell on the first failing command.

export MAILSHIELD_CACHE="${MAILSHIELD_CACHE:-$HOME/.cache/mailshield}"
export MAILSHIELD_STATE="${MAILSHIELD_STATE:-$HOME/.local/state/mailshield}"

export MAILSHIELD_KAFKA_PORT="${MAILSHIELD_KAFKA_PORT:-9092}"
export MAILSHIELD_KAFKA_CONTROLLER_PORT="${MAILSHIELD_KAFKA_CONTROLLER_PORT:-9093}"
export MAILSHIELD_KAFKA_PARTITIONS="${MAILSHIELD_KAFKA_PARTITIONS:-4}"
export MAILSHIELD_CLAMD_PORT="${MAILSHIELD_CLAMD_PORT:-3310}"
export MAILSHIELD_PG_PORT="${MAILSHIELD_PG_PORT:-55432}"

export MAILSHIELD_KAFKA_BROKERS="${MAILSHIELD_KAFKA_BROKERS:-127.0.0.1:$MAILSHIELD_KAFKA_PORT}"
export MAILSHIELD_CLAMD_ADDRESS="${MAILSHIELD_CLAMD_ADDRESS:-127.0.0.1:$MAILSHIELD_CLAMD_PORT}"
# The password only guards a loopback-only development cluster.
export MAILSHIELD_DATABASE_URL="${MAILSHIELD_DATABASE_URL:-postgres://mailshield:mailshield@127.0.0.1:$MAILSHIELD_PG_PORT/mailshield}"

# The control plane needs a Backup key when it keeps Backup in PostgreSQL. Local runs keep one
# in the state folder, made once; production mounts its own from a Secret.
if [ -z "${MAILSHIELD_BACKUP_KEY:-}" ] && [ -z "${MAILSHIELD_BACKUP_KEY_FILE:-}" ]; then
  if [ ! -s "$MAILSHIELD_STATE/backup.key" ]; then
    mkdir -p "$MAILSHIELD_STATE"
    (umask 077 && head -c 32 /dev/urandom | base64 >"$MAILSHIELD_STATE/backup.key.tmp" &&
      mv "$MAILSHIELD_STATE/backup.key.tmp" "$MAILSHIELD_STATE/backup.key")
  fi
  export MAILSHIELD_BACKUP_KEY_FILE="$MAILSHIELD_STATE/backup.key"
fi
