#!/usr/bin/env bash
# Install the system packages recall-tracker needs, from Debian's archive, when missing.
# Java 17 + Maven run the local Apache Kafka broker; PostgreSQL is used by the test suite;
# Prometheus's promtool tests the alert rules; WeasyPrint (the closure report's PDF) loads
# Pango, HarfBuzz and fontconfig at run time and needs a font with Chinese glyphs. npm fetches
# the dashboard's browser libraries at install time (`make setup`); the browser tests drive
# Debian's headless Chromium through its chromedriver.
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v promtool >/dev/null || missing+=(prometheus)  # promtool proves the alert rules
# A real Alertmanager (and amtool, which checks deploy/alertmanager) for its integration test.
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)  # ECharts for the dashboard, from package-lock.json
command -v chromium >/dev/null || missing+=(chromium)  # the browser tests (tests/browser)
command -v chromedriver >/dev/null || missing+=(chromium-driver)  # selenium drives Chromium

# Shared libraries by soname, as the dynamic loader sees them (read once: `ldconfig -p | grep -q`
# can die of SIGPIPE under pipefail). libpango pulls in GLib, HarfBuzz and libfontconfig.
libraries=$( (PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true) | awk '{print $1}')
has_library() { grep -qxF "$1" <<<"$libraries"; }
has_library libpango-1.0.so.0 || missing+=(libpango-1.0-0)
has_library libpangoft2-1.0.so.0 || missing+=(libpangoft2-1.0-0)
has_library libharfbuzz-subset.so.0 || missing+=(libharfbuzz-subset0)  # WeasyPrint subsets fonts
command -v fc-list >/dev/null || missing+=(fontconfig)
# Any font covering simplified Chinese will do; WenQuanYi Micro Hei is 1.6 MB (Noto CJK: 57 MB).
[ -n "$(fc-list :lang=zh-cn family 2>/dev/null)" ] || missing+=(fonts-wqy-microhei)

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
# Only a service installed just now is stopped: one already running may be someone's.
just_installed() { [[ " ${missing[*]} " == *" $1 "* ]]; }
# The Debian package starts a cluster on 5432; the tests start their own on a free port.
if just_installed postgresql && command -v pg_ctlcluster >/dev/null; then
  for cluster in /etc/postgresql/*/main; do
    [ -d "$cluster" ] && pg_ctlcluster "$(basename "$(dirname "$cluster")")" main stop 2>/dev/null || true
  done
fi
# The Debian package may start Prometheus on :9090; the project runs its own when it needs one.
if just_installed prometheus; then
  if command -v systemctl >/dev/null; then
    systemctl stop prometheus 2>/dev/null || true
  fi
  pkill -x prometheus 2>/dev/null || true
fi
# Same for Alertmanager on :9093; its integration test starts its own on a free port.
if just_installed prometheus-alertmanager; then
  if command -v systemctl >/dev/null; then
    systemctl stop prometheus-alertmanager 2>/dev/null || true
  fi
  pkill -x prometheus-alert 2>/dev/null || true  # the kernel keeps 15 characters of the name
fi
