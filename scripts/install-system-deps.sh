#!/usr/bin/env bash
# Install the system packages recall-tracker needs, from Debian's archive, when missing.
# Java 17 + Maven run the local Apache Kafka broker; PostgreSQL is used by the test suite;
# Prometheus's promtool tests the alert rules.
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v promtool >/dev/null || missing+=(prometheus)  # promtool proves the alert rules

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} — install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster on 5432; the tests start their own on a free port.
if command -v pg_ctlcluster >/dev/null; then
  for cluster in /etc/postgresql/*/main; do
    [ -d "$cluster" ] && pg_ctlcluster "$(basename "$(dirname "$cluster")")" main stop 2>/dev/null || true
  done
fi
# The Debian package may start Prometheus on :9090; the project runs its own when it needs one.
if command -v systemctl >/dev/null; then
  systemctl stop prometheus 2>/dev/null || true
fi
pkill -x prometheus 2>/dev/null || true
