#!/usr/bin/env bash
# Installs what xdhcp's build, test suite and demo need on Debian 12.
# Idempotent: apt-get runs (update once, then install) only when a package is
# missing. Downloads nothing but Debian packages (and rustup components).
set -euo pipefail

# build-essential pkg-config: C toolchain for crates with build scripts
# iproute2: ip netns / ip link / ss;  ethtool tcpdump: test-bed tools
# isc-dhcp-client udhcpc dhcpcd-base: real clients
# kea-dhcp4-server kea-dhcp6-server: reference servers (harness checks, bench/compare)
# kea-admin: perfdhcp
# clang-19 libbpf-dev: build the XDP program in ebpf/ (bpf_helpers.h comes from libbpf-dev)
PKGS=(build-essential pkg-config iproute2 ethtool tcpdump isc-dhcp-client udhcpc
      dhcpcd-base kea-dhcp4-server kea-dhcp6-server kea-admin clang-19 libbpf-dev)

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup.sh: not root and no sudo; cannot install packages" >&2
    exit 1
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} Debian packages already installed"
else
  echo "setup: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -q
  # No daemon of the packages should start on the host (Kea's service unit is
  # irrelevant here: tests run their own servers in namespaces).
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "setup: installed ${missing[*]}"
fi

if command -v rustup >/dev/null 2>&1; then
  have=$(rustup component list --installed 2>/dev/null || true)
  need=()
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$have" || need+=("$c")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    rustup component add "${need[@]}"
    echo "setup: added rustup components ${need[*]}"
  else
    echo "setup: rustfmt and clippy present"
  fi
else
  echo "setup: no rustup; expecting cargo fmt / cargo clippy from the system toolchain"
fi
