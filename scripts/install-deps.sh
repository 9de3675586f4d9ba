#!/usr/bin/env bash
# Installs what building and testing Tributary needs on a fresh Debian
# machine: gcc for cgo (confluent-kafka-go links librdkafka statically), the
# servers the tests start (MariaDB, PostgreSQL, nginx) and the Go modules.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
updated=
apt_install() {
  [ -n "$updated" ] || { $SUDO apt-get update -qq; updated=1; }
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
# Servers the tests start on their own ports and directories: MariaDB for
# the binlog source, nginx for the web log source.
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null || need+=(mariadb-server mariadb-client)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
# The dashboard's browser tests: Chromium (with its driver) and Node for
# Playwright, which drives the system's Chromium rather than downloading one.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  apt_install "${need[@]}"
fi
# PostgreSQL server binaries for the sink tests, which start servers of
# their own (deployments/local). Debian keeps them out of PATH, under
# /usr/lib/postgresql/VERSION/bin; the tests want 15, and take another.
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && ! command -v postgres >/dev/null; then
  # The package would start a system-wide cluster; a policy-rc.d saying 101
  # ("not allowed") keeps it from starting any service, and goes afterwards
  # unless the machine had one.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap "$SUDO rm -f /usr/sbin/policy-rc.d" EXIT
  fi
  apt_install --no-install-recommends postgresql-15 || apt_install --no-install-recommends postgresql
fi
# PostgreSQL refuses to run as root: run as root, the tests start it as the
# system user postgres, which the Debian package creates.
if ! id postgres >/dev/null 2>&1; then
  $SUDO useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; else
    echo "Go is missing: install Go $(sed -n 's/^go //p' go.mod) from https://go.dev/dl/" >&2; exit 1
  fi
fi
go mod download
# playwright-core, pinned by test/browser/package-lock.json.
if [ ! -d test/browser/node_modules/playwright-core ]; then
  (cd test/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
