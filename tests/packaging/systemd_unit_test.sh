#!/bin/sh
# Checks systemd/trustgated.service: `systemd-analyze verify` passes (on a copy whose ExecStart
# names the built binary, with the project's man pages on MANPATH so Documentation= resolves),
# and `systemd-analyze security --offline=true` rates its exposure at most 2.0.
# Usage: systemd_unit_test.sh SOURCE_DIR TRUSTGATED_BINARY
set -eu
src=$1
bin=$2
max_exposure=2.0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The unit as installed, except the binary's path.
sed "s|^ExecStart=/usr/sbin/trustgated |ExecStart=$bin |" "$src/systemd/trustgated.service" \
  >"$work/trustgated.service"
grep -q "^ExecStart=$bin " "$work/trustgated.service" || {
  echo "FAIL: ExecStart=/usr/sbin/trustgated not found in the unit"
  exit 1
}

mkdir -p "$work/man/man5" "$work/man/man8"
cp "$src"/docs/man/*.5 "$work/man/man5/"
cp "$src"/docs/man/*.8 "$work/man/man8/"

echo "== systemd-analyze verify"
if ! MANPATH="$work/man" systemd-analyze verify "$work/trustgated.service" >"$work/verify.log" 2>&1; then
  cat "$work/verify.log"
  echo "FAIL: systemd-analyze verify"
  exit 1
fi
cat "$work/verify.log"
# verify exits 0 on some warnings; none are expected for this unit.
if [ -s "$work/verify.log" ]; then
  echo "FAIL: systemd-analyze verify printed warnings"
  exit 1
fi

echo "== systemd-analyze security --offline=true"
systemd-analyze security --offline=true --no-pager "$src/systemd/trustgated.service" \
  >"$work/security.log" 2>&1 || true
grep -E "^(✗|→)" "$work/security.log" || true
exposure=$(sed -n 's/.*Overall exposure level for trustgated.service: \([0-9.]*\).*/\1/p' \
  "$work/security.log")
if [ -z "$exposure" ]; then
  cat "$work/security.log"
  echo "FAIL: no exposure level in systemd-analyze security output"
  exit 1
fi
echo "exposure: $exposure (at most $max_exposure)"
if ! awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
  echo "FAIL: exposure $exposure above $max_exposure"
  exit 1
fi
echo "PASS"
