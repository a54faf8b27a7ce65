#!/usr/bin/env bash
# The test command: setup, format check, clippy, build, unit + system tests.
# System tests need root (network namespaces); without root this re-executes
# itself under sudo. XDHCP_SYSTEST_SERVER=kea runs the system tests against
# ISC Kea instead of xdhcpd (to check the harness itself).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "test.sh: system tests need root; re-running under sudo"
    exec sudo -E env "PATH=$PATH" bash "$0" "$@"
  fi
  echo "test.sh: system tests need root (network namespaces) and sudo is missing" >&2
  exit 1
fi

LOG_DIR=$(mktemp -d /tmp/xdhcp-test.XXXXXX)
declare -a NAMES=() RESULTS=() TIMES=()
failed=0

step() {
  local name=$1; shift
  local t0=$SECONDS
  echo
  echo "==== $name: $*"
  "$@" 2>&1 | tee "$LOG_DIR/$name.log"
  local rc=${PIPESTATUS[0]}
  NAMES+=("$name"); TIMES+=($((SECONDS - t0)))
  if [ "$rc" -eq 0 ]; then RESULTS+=(ok); else RESULTS+=("FAILED (exit $rc)"); failed=1; fi
}

step setup  scripts/setup.sh
step fmt    cargo fmt --all -- --check
step clippy cargo clippy --workspace --all-targets -- -D warnings
step build  cargo build --workspace --bins
step test   cargo test --workspace --no-fail-fast

echo
echo "==== summary (logs in $LOG_DIR)"
for i in "${!NAMES[@]}"; do
  printf '  %-7s %-22s %4ss\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
done
# Totals over every `test result:` line of cargo test.
read -r passed tfailed ignored < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed;?$/) p += $(i-1);
      if ($(i) ~ /^failed;?$/) f += $(i-1);
      if ($(i) ~ /^ignored;?$/) g += $(i-1);
    } } END { print p+0, f+0, g+0 }' "$LOG_DIR/test.log" 2>/dev/null || echo "0 0 0")
echo "tests: $passed passed, $tfailed failed, $ignored skipped"
if [ "$failed" -ne 0 ]; then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all steps passed"
