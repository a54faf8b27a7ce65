#!/usr/bin/env bash
# Demo: xdhcpd serving 192.0.2.0/24 to a real dhclient, in two network
# namespaces (xdhcp-demo-srv, xdhcp-demo-cli) joined by a veth pair.
#   scripts/demo.sh          set up, start xdhcpd, get a lease, leave it running
#   scripts/demo.sh stop     stop everything and remove the namespaces
# (XDHCPD_BIN=PATH uses that binary instead of building the release one;
#  XDHCP_DEMO_SERVER=kea runs kea-dhcp4 with the same config instead, to
#  check this script while xdhcpd is being written.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E env "PATH=$PATH" bash "$0" "$@"
  fi
  echo "demo.sh: needs root (network namespaces)" >&2
  exit 1
fi

SRV=xdhcp-demo-srv
CLI=xdhcp-demo-cli
SRV_IF=xdsrv0
CLI_IF=xdcli0
STATE=/tmp/xdhcp-demo
CONFIG=$ROOT/scripts/demo/xdhcp-demo.json
BIN=${XDHCPD_BIN:-$ROOT/target/release/xdhcpd}
KIND=${XDHCP_DEMO_SERVER:-xdhcpd}

stop_all() {
  if [ -f "$STATE/server.pid" ]; then
    local pid; pid=$(cat "$STATE/server.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  for ns in "$CLI" "$SRV"; do
    if ip netns list | grep -qw "^$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$ns"
  done
  rmdir /etc/netns 2>/dev/null || true
  rm -rf "$STATE"
}

case "${1:-start}" in
  stop)
    stop_all
    echo "demo stopped: namespaces $SRV, $CLI and $STATE removed"
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

scripts/setup.sh
if [ "$KIND" = kea ]; then
  SERVER_CMD=(env KEA_PIDFILE_DIR="$STATE" KEA_LOCKFILE_DIR="$STATE" kea-dhcp4 -c "$CONFIG")
else
  if [ -z "${XDHCPD_BIN:-}" ]; then
    echo "demo: building xdhcpd (release)"
    cargo build --release -p xdhcp-engine --bin xdhcpd
  fi
  SERVER_CMD=("$BIN" -c "$CONFIG")
fi

stop_all
mkdir -p "$STATE"
trap 'echo "demo: failed; cleaning up" >&2; stop_all' ERR

# Topology. /etc/netns/<ns>/resolv.conf keeps any client's DNS edits inside
# the namespace (ip netns exec bind-mounts it over /etc/resolv.conf).
for ns in "$SRV" "$CLI"; do
  ip netns add "$ns"
  mkdir -p "/etc/netns/$ns" && : > "/etc/netns/$ns/resolv.conf"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
ip -n "$SRV" link add "$SRV_IF" mtu 1500 type veth peer name "$CLI_IF" mtu 1500 netns "$CLI"
ip -n "$SRV" addr add 192.0.2.1/24 dev "$SRV_IF"
ip -n "$SRV" link set "$SRV_IF" up
ip -n "$CLI" link set "$CLI_IF" up
echo "demo: namespaces $SRV ($SRV_IF 192.0.2.1/24) and $CLI ($CLI_IF, no address)"

# Server.
ip netns exec "$SRV" setsid "${SERVER_CMD[@]}" >"$STATE/server.log" 2>&1 </dev/null &
echo $! >"$STATE/server.pid"
for _ in $(seq 100); do
  [ -n "$(ip netns exec "$SRV" ss -Huln 'sport = :67')" ] && break
  kill -0 "$(cat "$STATE/server.pid")" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$(ip netns exec "$SRV" ss -Huln 'sport = :67')" ]; then
  echo "demo: the server did not start; its log:" >&2
  tail -30 "$STATE/server.log" >&2
  false
fi
echo "demo: $KIND listening on 192.0.2.1:67 (pid $(cat "$STATE/server.pid"), log $STATE/server.log)"

# Client hook: log, and configure the address inside the client namespace.
cat >"$STATE/hook.sh" <<'HOOK'
#!/bin/sh
echo "reason=$reason ip=$new_ip_address $1 ${ip:-}" >> /tmp/xdhcp-demo/hook.log
case "${reason:-$1}" in
  BOUND|RENEW|REBIND|REBOOT|bound|renew)
    a=${new_ip_address:-$ip}; m=${new_subnet_mask:-${subnet:-255.255.255.0}}
    [ -n "$a" ] && ip addr replace "$a/$m" dev "$interface" ;;
esac
exit 0
HOOK
chmod +x "$STATE/hook.sh"

echo "demo: running dhclient in $CLI"
ip netns exec "$CLI" timeout 30 dhclient -4 -1 -v -sf "$STATE/hook.sh" \
  -lf "$STATE/dhclient.leases" -pf "$STATE/dhclient.pid" "$CLI_IF" 2>"$STATE/dhclient.log" \
  || { echo "demo: dhclient got no lease:" >&2; cat "$STATE/dhclient.log" >&2; false; }
grep -E "DHCP(DISCOVER|OFFER|REQUEST|ACK)|bound to" "$STATE/dhclient.log" | sed 's/^/  dhclient: /'
echo
echo "demo: the client's address:"
ip -n "$CLI" -4 -br addr show dev "$CLI_IF" | sed 's/^/  /'
echo
echo "demo: the server's lease table:"
if [ "$KIND" = kea ]; then
  sed 's/^/  /' /tmp/xdhcp-demo/leases4.csv
else
  "$BIN" --dump-leases -c "$CONFIG" | sed 's/^/  /'
fi
trap - ERR

cat <<EOF2

The server keeps running in namespace $SRV. Try another client:
  sudo ip -n $CLI link add cli2 link $CLI_IF address 02:00:00:00:00:02 type macvlan mode bridge
  sudo ip -n $CLI link set cli2 up
  sudo ip netns exec $CLI udhcpc -f -q -n -i cli2 -s $STATE/hook.sh
  sudo $BIN --dump-leases -c $CONFIG
Server log: $STATE/server.log
Stop and remove everything: scripts/demo.sh stop
EOF2
