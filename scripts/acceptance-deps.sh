#!/usr/bin/env bash
# Debian packages the acceptance harness (harness) needs: the Docker Engine it
# runs in a namespace of its own, mmdebstrap for the stand-in images, the attack tools. Then a
# quick check that the kernel features it uses work here. Idempotent: installs only what is
# missing, never lets the packages' services start (no dockerd in the root namespace), stops any
# that an earlier install started. Needs root (or sudo). `make deps` runs it.
set -euo pipefail

PACKAGES=(
  util-linux iproute2 iptables procps             # nsenter, netns, firewall, sysctl
  curl openssl wrk testssl.sh                     # clients and attack tools
  docker.io mmdebstrap netcat-openbsd             # the private Docker Engine; its stand-in images' rootfs
  busybox-static                                  # the deploy self-test's tiny image
  openssh-server openssh-client sudo              # the multi-host suite's hosts, reached over SSH
  victoria-metrics                                # the multi-host suite's long-term store (dedup)
)
SERVICES=(prometheus prometheus-alertmanager prometheus-redis-exporter prometheus-node-exporter nginx redis-server
  docker containerd victoria-metrics)  # the harness runs its own dockerd in a namespace: never the root namespace's
# sshd: stopped only when this run installed it (a machine's own SSH server, which people log in
# through, is left as it is; the multi-host suite runs its own sshd per host namespace).

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
probe="psdeps-$$"
remove_policy=""
on_exit() {
  $SUDO ip netns delete "$probe" 2>/dev/null || true
  [ -z "$remove_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
}
trap on_exit EXIT

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "acceptance-deps: installing ${missing[*]}"
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # keep the packages' services from starting
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    remove_policy=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for package in "${missing[@]}"; do
  [ "$package" != openssh-server ] || SERVICES+=(ssh)
done

# Stop and disable the packaged services if something started them (only those: their init
# scripts act on their own pid files, never on servers other tests started themselves).
for service in "${SERVICES[@]}"; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    if systemctl is-active --quiet "$service" 2>/dev/null || systemctl is-enabled --quiet "$service" 2>/dev/null; then
      $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  elif [ -x "/etc/init.d/$service" ] && "/etc/init.d/$service" status >/dev/null 2>&1; then
    $SUDO "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
done

# No dockerd may serve the root namespace (its iptables and 172.x bridge are not ours to touch):
# the harness starts its own per run, inside a namespace, with its own pid file and socket. The
# packaged daemon's pid file is /var/run/docker.pid (init script and systemd unit alike).
if [ -s /var/run/docker.pid ]; then
  pid=$(cat /var/run/docker.pid)
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    echo "acceptance-deps: stopping the root namespace's dockerd ($pid)"
    $SUDO kill -TERM "$pid" 2>/dev/null || true
  fi
fi

# What the harness relies on: say plainly what is missing.
problems=()
$SUDO ip netns add "$probe" || problems+=("ip netns add (network namespaces)")
if $SUDO ip netns exec "$probe" true 2>/dev/null; then
  $SUDO ip -n "$probe" link add probe0 type bridge 2>/dev/null || problems+=("bridge devices")
  $SUDO ip -n "$probe" link add probe1 type veth peer name probe2 2>/dev/null || problems+=("veth pairs")
  $SUDO ip netns exec "$probe" iptables -w 5 -t nat -A PREROUTING -p tcp --dport 1 -j DNAT --to-destination 198.18.0.2:1 \
    2>/dev/null || problems+=("iptables nat/DNAT in a namespace")
  $SUDO ip netns exec "$probe" iptables -w 5 -A FORWARD -m conntrack --ctorigdstport 1 -j DROP \
    2>/dev/null || problems+=("iptables conntrack --ctorigdstport")
fi
$SUDO ip netns delete "$probe" 2>/dev/null || true
if [ ${#problems[@]} -gt 0 ]; then
  printf 'acceptance-deps: NOT usable here: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "acceptance-deps: ready"
