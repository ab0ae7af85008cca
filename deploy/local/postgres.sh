#!/usr/bin/env bash
# Runs a PostgreSQL 15 cluster of its own on loopback, with role and database mailshield.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: deploy/local/postgres.sh {start|stop|status}
  start   create the cluster if new, start it, create role and database mailshield
  stop    stop the cluster (fast shutdown)
  status  exit 0 if the cluster is running
Settings: MAILSHIELD_PG_PORT (55432), MAILSHIELD_STATE, MAILSHIELD_PG_DIR (cluster directory),
  MAILSHIELD_PG_BINDIR (/usr/lib/postgresql/15/bin).
EOF
  exit 2
}

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$deploy_dir/lib.sh"

bin_dir="${MAILSHIELD_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
port="$MAILSHIELD_PG_PORT"
database=mailshield
role=mailshield
# Matches MAILSHIELD_DATABASE_URL in env.sh. The cluster listens on loopback only.
role_password=mailshield
start_timeout_s=60

# PostgreSQL does not run as root, so root runs the server as the postgres system user.
if ((EUID == 0)); then
  server_user=postgres
  id "$server_user" >/dev/null 2>&1 || die "user $server_user not found; install Debian's postgresql package"
else
  server_user="$(id -un)"
fi

# Runs a command as the server user, from / because that user may not be allowed
# into the caller's working directory.
as_server_user() {
  if ((EUID == 0)); then
    (cd / && runuser -u "$server_user" -- "$@")
  else
    "$@"
  fi
}

# The cluster lives in $MAILSHIELD_STATE/postgres. When root runs this script and the
# postgres user cannot enter that directory (the default under /root has mode 0700),
# it lives in /var/lib/postgresql/mailshield, the postgres user's home, instead.
choose_cluster_dir() {
  if [[ -n "${MAILSHIELD_PG_DIR:-}" ]]; then
    echo "$MAILSHIELD_PG_DIR"
    return
  fi
  mkdir -p "$MAILSHIELD_STATE"
  if ((EUID == 0)) && ! as_server_user test -x "$MAILSHIELD_STATE"; then
    echo /var/lib/postgresql/mailshield
  else
    echo "$MAILSHIELD_STATE/postgres"
  fi
}

cluster_dir="$(choose_cluster_dir)"
data_dir="$cluster_dir/data"
socket_dir="$cluster_dir/run"
log_file="$cluster_dir/postgres.log"

pg_ctl() {
  as_server_user "$bin_dir/pg_ctl" -D "$data_dir" "$@"
}

# Runs psql as the cluster's superuser over the Unix socket, where peer
# authentication needs no password.
admin_psql() {
  as_server_user "$bin_dir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -d postgres
}

running() {
  [[ -f "$data_dir/PG_VERSION" ]] && pg_ctl status >/dev/null 2>&1
}

init_cluster() {
  if [[ -f "$data_dir/PG_VERSION" ]]; then
    return
  fi
  log "creating cluster in $data_dir"
  install -d -o "$server_user" -g "$(id -gn "$server_user")" -m 0700 "$cluster_dir" "$socket_dir"
  as_server_user touch "$log_file"
  # Peer authentication on the socket lets this script administer the cluster, and
  # TCP clients need a password, as they would against a real server.
  as_server_user "$bin_dir/initdb" -D "$data_dir" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 --data-checksums >>"$log_file" 2>&1 ||
    die "initdb failed; see $log_file"
  echo "include_if_exists = 'mailshield.conf'" | as_server_user tee -a "$data_dir/postgresql.conf" >/dev/null
}

write_config() {
  as_server_user tee "$data_dir/mailshield.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh on every start, so edits here are lost.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir'
fsync = on
EOF
}

ensure_role_and_database() {
  admin_psql <<EOF
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$role', '$role_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')
\\gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database')
\\gexec
EOF
}

# Logs in over TCP with the password, the same way the services connect.
check_login() {
  PGPASSWORD="$role_password" "$bin_dir/psql" -X -q -At -h 127.0.0.1 -p "$port" -U "$role" -d "$database" \
    -c 'SELECT 1' >/dev/null ||
    die "login as $role to 127.0.0.1:$port/$database failed; see $log_file"
}

start() {
  local started
  [[ -x "$bin_dir/postgres" ]] || die "$bin_dir/postgres not found; install Debian's postgresql package or set MAILSHIELD_PG_BINDIR"
  if running; then
    log "already running on 127.0.0.1:$port, cluster in $cluster_dir"
    ensure_role_and_database
    check_login
    return
  fi
  if port_open "$port"; then
    die "port $port on 127.0.0.1 is in use by another process; stop it or set MAILSHIELD_PG_PORT"
  fi

  started="$(now_ms)"
  init_cluster
  write_config
  # pg_ctl opens the log file as the server user, so that user must own it.
  as_server_user touch "$log_file"
  pg_ctl start -l "$log_file" -w -t "$start_timeout_s" >/dev/null || {
    log "PostgreSQL failed to start; last lines of $log_file:"
    tail -n 40 "$log_file" >&2 || true
    exit 1
  }
  ensure_role_and_database
  check_login
  log "PostgreSQL on 127.0.0.1:$port ready after $(seconds_since "$started")s; cluster in $cluster_dir"
}

stop() {
  if ! running; then
    log "not running"
    return
  fi
  log "stopping cluster in $data_dir"
  # Fast mode ends open sessions, which a stopping test run may have left behind.
  pg_ctl stop -m fast -w -t 60 >/dev/null || pg_ctl stop -m immediate -w -t 30 >/dev/null
  log "stopped"
}

status() {
  if running; then
    echo "postgres: running on 127.0.0.1:$port, cluster in $cluster_dir"
  else
    echo "postgres: stopped"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
