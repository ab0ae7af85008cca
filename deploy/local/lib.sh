# shellcheck shell=bash
# Helpers shared by the start and stop scripts in deploy/local. Sourced, not run.

# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

script_name="$(basename "$0")"

log() {
  echo "$script_name: $*" >&2
}

die() {
  echo "$script_name: error: $*" >&2
  exit 1
}

now_ms() {
  date +%s%3N
}

# Prints the seconds since a now_ms timestamp, with one decimal.
seconds_since() {
  local elapsed_ms=$(($(now_ms) - $1))
  printf '%d.%d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
}

# Succeeds when something accepts TCP connections on 127.0.0.1:PORT. The timeout
# guards against a listener whose accept queue is full, where connect would hang.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Prints the pid stored in PIDFILE if that process is alive and its command line
# contains MARKER; fails otherwise. The marker (a path of this state directory)
# keeps a stale pid file from pointing at an unrelated process that reused the pid.
live_pid() {
  local pidfile="$1" marker="$2" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# Waits until 127.0.0.1:PORT accepts connections. Fails when PID exits first or
# after TIMEOUT seconds, and then prints the last lines of LOGFILE.
wait_for_port() {
  local port="$1" pid="$2" timeout_s="$3" logfile="$4" name="$5"
  local deadline=$((SECONDS + timeout_s))
  until port_open "$port"; do
    if ! pid_running "$pid"; then
      log "$name exited during start-up; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not open port $port within ${timeout_s}s; last lines of $logfile:"
      tail -n 40 "$logfile" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# Succeeds while PID exists and is not a zombie. A zombie has exited but stays in the
# process table until its parent reaps it, so `kill -0` alone would still succeed.
pid_running() {
  local state
  # The state letter follows the command name, which is in brackets and may contain spaces.
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# Sends SIGTERM to PID and waits up to TIMEOUT seconds for it to exit, then SIGKILL.
stop_pid() {
  local pid="$1" timeout_s="$2" name="$3"
  local deadline=$((SECONDS + timeout_s))
  kill -TERM "$pid" 2>/dev/null || return 0
  while pid_running "$pid"; do
    if ((SECONDS >= deadline)); then
      log "$name (pid $pid) still running ${timeout_s}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}
