#!/usr/bin/env bash
# Installs what the local run, the tests and CI need. Each step skips what is already there.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: deploy/local/install.sh [all|packages|npm|kafka|helm]
  packages  Debian packages: clamd, PostgreSQL 15, swaks, zip, Postfix's smtp-source and
            smtp-sink, Prometheus' promtool, and a JDK and Maven when java or mvn is missing
            (needs root or sudo)
  npm       npm ci, when package-lock.json changed since the last run
  kafka     the Kafka jars from Maven Central (deploy/local/kafka.sh fetch)
  helm      Helm, built with `go install` into $MAILSHIELD_CACHE (the chart tests run it)
  all       all four (the default)
EOF
  exit 2
}

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$deploy_dir/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$deploy_dir/lib.sh"

# Postfix only provides smtp-source and smtp-sink for benchmarks. No Postfix daemon runs.
# Prometheus only provides promtool, which checks the chart's alert rules and dashboard queries.
base_packages=(clamav-daemon clamav-testfiles postgresql swaks zip unzip postfix make prometheus)

# Prints the packages that are not installed, one per line.
missing_packages() {
  local package
  local -a wanted=("${base_packages[@]}")
  command -v java >/dev/null || wanted+=(default-jdk-headless)
  command -v mvn >/dev/null || wanted+=(maven)
  for package in "${wanted[@]}"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]]; then
      echo "$package"
    fi
  done
}

# Runs apt-get as root, through sudo when the caller is not root.
apt_get() {
  if ((EUID == 0)); then
    DEBIAN_FRONTEND=noninteractive apt-get "$@"
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get "$@"
  fi
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  else
    sudo "$@"
  fi
}

install_packages() {
  local started policy_created=0
  local -a missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    log "Debian packages already installed"
    return
  fi
  if ((EUID != 0)) && ! command -v sudo >/dev/null; then
    die "missing Debian packages: ${missing[*]}; install them as root with: apt-get install ${missing[*]}"
  fi
  started="$(now_ms)"
  log "installing ${missing[*]}"

  # "No configuration" installs Postfix's programs without a mail server on port 25.
  echo 'postfix postfix/main_mailer_type select No configuration' | as_root debconf-set-selections
  # Package scripts would start Debian's own clamd, freshclam, PostgreSQL cluster, Prometheus and
  # Postfix, which nothing uses because the scripts here run their own instances.
  # When policy-rc.d exits with 101, invoke-rc.d does not start the service.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 0755 /usr/sbin/policy-rc.d
    policy_created=1
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi

  apt_get update -qq
  apt_get install -y -qq "${missing[@]}" >/dev/null

  if ((policy_created)); then
    as_root rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  log "installed Debian packages in $(seconds_since "$started")s"
}

# Runs npm ci unless node_modules was installed from the same package-lock.json.
# npm ci deletes node_modules first, so running it on every `make test` would cost
# a full reinstall each time.
install_npm() {
  local lock="$repo_dir/package-lock.json" stamp="$repo_dir/node_modules/.mailshield-lock.sha256"
  local started checksum
  [[ -f "$lock" ]] || die "package-lock.json not found in $repo_dir; npm ci needs it"
  checksum="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(<"$stamp")" == "$checksum" ]]; then
    log "node_modules already matches package-lock.json"
    return
  fi
  started="$(now_ms)"
  (cd "$repo_dir" && npm ci --no-audit --no-fund)
  echo "$checksum" >"$stamp"
  log "npm ci took $(seconds_since "$started")s"
}

# Helm is not packaged for Debian, so it is built from its Go module, which needs Go and the
# Go module proxy. The chart tests find it at $MAILSHIELD_HELM (default below).
helm_version=v4.3.2
helm_bin="${MAILSHIELD_HELM:-$MAILSHIELD_CACHE/helm-$helm_version/bin/helm}"

install_helm() {
  local started staging
  if [[ -x "$helm_bin" ]]; then
    log "helm already in $helm_bin"
    return
  fi
  local go_bin
  # The official Go tarball installs to /usr/local/go, which a non-login shell may not have on PATH.
  go_bin="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go_bin" ]] || die "go not found; install Go 1.24 or later to build Helm $helm_version"
  started="$(now_ms)"
  # Built into a fresh folder and moved in place, so an interrupted build leaves no binary.
  staging="$(dirname "$helm_bin").new"
  rm -rf "$staging"
  mkdir -p "$staging"
  log "building helm $helm_version into $helm_bin (a few minutes the first time)"
  GOBIN="$staging" "$go_bin" install "helm.sh/helm/v4/cmd/helm@$helm_version"
  mkdir -p "$(dirname "$helm_bin")"
  mv "$staging/helm" "$helm_bin"
  rm -rf "$staging"
  log "built helm in $(seconds_since "$started")s"
}

case "${1:-all}" in
  packages) install_packages ;;
  npm) install_npm ;;
  kafka) "$deploy_dir/kafka.sh" fetch ;;
  helm) install_helm ;;
  all)
    install_packages
    install_npm
    "$deploy_dir/kafka.sh" fetch
    install_helm
    ;;
  *) usage ;;
esac
