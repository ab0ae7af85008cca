#!/usr/bin/env bash
# Runs clamd on loopback TCP with the project's test signature database.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: deploy/local/clamd.sh {start|stop|status|reload|scan FILE...}
  start   copy deploy/local/clamav-db, start clamd, check that it detects EICAR
  stop    stop clamd (SIGTERM, then SIGKILL after 20 s)
  status  exit 0 if clamd is running
  reload  copy deploy/local/clamav-db again and make the running clamd reload it
  scan    send each FILE to clamd with INSTREAM and print its reply
Settings: MAILSHIELD_CLAMD_PORT (3310), MAILSHIELD_STATE.
EOF
  exit 2
}

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$deploy_dir/lib.sh"

clamd_bin="${CLAMD:-/usr/sbin/clamd}"
source_db_dir="$deploy_dir/clamav-db"
state_dir="$MAILSHIELD_STATE/clamd"
db_dir="$state_dir/db"
config_file="$state_dir/clamd.conf"
pid_file="$state_dir/clamd.pid"
log_file="$state_dir/clamd.log"
stderr_file="$state_dir/clamd.stderr"
port="$MAILSHIELD_CLAMD_PORT"
start_timeout_s=60
stop_timeout_s=20

# shellcheck disable=SC2016 # the dollar signs are part of the EICAR string
eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

write_config() {
  cat >"$config_file" <<EOF
# Written by deploy/local/clamd.sh on every start, so edits here are lost.
Foreground yes
TCPSocket $port
TCPAddr 127.0.0.1
DatabaseDirectory $db_dir
PidFile $pid_file
LogFile $log_file
LogTime yes
LogFileMaxSize 20M
LogRotate yes

ScanMail yes
ScanArchive yes
# Reported as Heuristics.Encrypted.* and Heuristics.Limits.Exceeded.*, so the
# gateway can tell content that clamd could not inspect from clean content.
AlertEncrypted yes
AlertExceedsMax yes
# clamd 1.4.6 was seen to stop answering during repeated RELOADs without it.
ConcurrentDatabaseReload yes

# A stream is one whole message. Kafka records are at most 32 MiB, so every message
# that fits in a record fits in a stream.
StreamMaxLength 40M
# MaxFileSize also applies to the stream itself, so it must not be below StreamMaxLength.
# Both values are the defaults of ClamAV 1.4 (man clamd.conf).
MaxFileSize 100M
MaxScanSize 400M
EOF
}

# Copies the signature files into the state directory. The swap through a fresh
# directory keeps signature files deleted from the source from lingering.
copy_database() {
  compgen -G "$source_db_dir/*.[hn]db" >/dev/null || die "no signature files (*.hdb, *.ndb) in $source_db_dir"
  rm -rf "$db_dir.new"
  mkdir -p "$db_dir.new"
  cp "$source_db_dir"/*.[hn]db "$db_dir.new/"
  rm -rf "$db_dir"
  mv "$db_dir.new" "$db_dir"
}

# Sends one clamd command (zCOMMAND, NUL-terminated) and prints the reply.
send_command() {
  local fd reply=""
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'z%s\0' "$1" >&"$fd"
  IFS= read -r -t 10 -d '' reply <&"$fd" || true
  exec {fd}>&-
  printf '%s\n' "$reply"
}

# Prints a 32-bit length in network byte order, the chunk prefix of INSTREAM.
print_chunk_length() {
  local n="$1"
  # shellcheck disable=SC2059 # the format is built from the byte values on purpose
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))"
}

# Sends FILE to clamd in one INSTREAM chunk and prints the reply, for example
# "stream: Eicar-Test-Signature.UNOFFICIAL FOUND". Files above StreamMaxLength get
# "INSTREAM size limit exceeded. ERROR".
scan_file() {
  local file="$1" fd size reply=""
  size="$(stat -c %s "$file")"
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  # The subshell confines the SIGPIPE that a write raises when clamd has already
  # rejected the stream and closed the connection.
  (
    printf 'zINSTREAM\0'
    if ((size > 0)); then
      print_chunk_length "$size"
      cat "$file"
    fi
    printf '\0\0\0\0'
  ) 1>&"$fd" 2>/dev/null || true
  IFS= read -r -t 60 -d '' reply <&"$fd" || true
  exec {fd}>&-
  printf '%s\n' "$reply"
}

# Stops a clamd that failed a start-up check, so that no half-working clamd is left.
stop_and_die() {
  stop_pid "$1" 5 "clamd"
  rm -f "$pid_file"
  die "$2"
}

start() {
  local pid started reply sample
  if pid="$(live_pid "$pid_file" "$config_file")"; then
    log "already running (pid $pid) on 127.0.0.1:$port"
    return
  fi
  [[ -x "$clamd_bin" ]] || die "$clamd_bin not found; install Debian's clamav-daemon package"
  if port_open "$port"; then
    die "port $port on 127.0.0.1 is in use by another process; stop it or set MAILSHIELD_CLAMD_PORT"
  fi

  started="$(now_ms)"
  mkdir -p "$state_dir"
  copy_database
  write_config
  rm -f "$pid_file"

  # clamd runs as the user who starts it because clamd.conf sets no User. In the
  # foreground it copies every LogFile line to stdout, so only stderr is kept. It
  # contains the errors of a start that fails before the log file is open.
  nohup "$clamd_bin" --config-file="$config_file" >/dev/null 2>>"$stderr_file" </dev/null &
  pid=$!

  wait_for_port "$port" "$pid" "$start_timeout_s" "$log_file" "clamd" ||
    stop_and_die "$pid" "clamd failed to start; see $log_file and $stderr_file"
  reply="$(send_command PING)" || true
  [[ "$reply" == PONG ]] ||
    stop_and_die "$pid" "clamd returned '$reply' to PING, expected PONG; see $log_file"

  sample="$(mktemp)"
  printf '%s' "$eicar" >"$sample"
  reply="$(scan_file "$sample")" || true
  rm -f "$sample"
  [[ "$reply" == *"Eicar-Test-Signature.UNOFFICIAL FOUND" ]] ||
    stop_and_die "$pid" "clamd returned '$reply' for EICAR, expected Eicar-Test-Signature.UNOFFICIAL FOUND; check $db_dir"
  log "clamd on 127.0.0.1:$port (pid $pid) detects EICAR; ready after $(seconds_since "$started")s"
}

stop() {
  local pid
  if ! pid="$(live_pid "$pid_file" "$config_file")"; then
    log "not running"
    rm -f "$pid_file"
    return
  fi
  log "stopping pid $pid"
  stop_pid "$pid" "$stop_timeout_s" "clamd"
  rm -f "$pid_file"
  log "stopped"
}

status() {
  local pid
  if pid="$(live_pid "$pid_file" "$config_file")"; then
    echo "clamd: running (pid $pid) on 127.0.0.1:$port, state in $state_dir"
  else
    echo "clamd: stopped"
    return 1
  fi
}

reload() {
  live_pid "$pid_file" "$config_file" >/dev/null || die "clamd is not running; start it with: deploy/local/clamd.sh start"
  copy_database
  local reply
  reply="$(send_command RELOAD)" || true
  [[ "$reply" == RELOADING ]] || die "clamd returned '$reply' to RELOAD, expected RELOADING; see $log_file"
  log "clamd is reloading the signatures from $db_dir"
}

scan() {
  (($# > 0)) || usage
  local file reply
  for file in "$@"; do
    [[ -f "$file" ]] || die "file not found: $file"
    reply="$(scan_file "$file")" || die "cannot connect to clamd at 127.0.0.1:$port; start it with: deploy/local/clamd.sh start"
    printf '%s: %s\n' "$file" "$reply"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reload) reload ;;
  scan)
    shift
    scan "$@"
    ;;
  *) usage ;;
esac
