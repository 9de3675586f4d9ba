#!/usr/bin/env bash
# Installs what building and testing Tributary needs on a fresh Debian
# machine: gcc for cgo (confluent-kafka-go links librdkafka statically), the
# servers the tests start (MariaDB, nginx) and the Go modules. Safe to run
# again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
# Servers the tests start on their own ports and directories: MariaDB for
# the binlog source, nginx for the web log source.
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null || need+=(mariadb-server mariadb-client)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; else
    echo "Go is missing: install Go $(sed -n 's/^go //p' go.mod) from https://go.dev/dl/" >&2; exit 1
  fi
fi
go mod download
