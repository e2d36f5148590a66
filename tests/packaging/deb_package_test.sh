#!/bin/sh
# Builds the Debian package from a configured, built tree (cpack -G DEB), unpacks it into a
# scratch root, checks its control fields and files, and runs lintian: any error fails the
# test; warnings are printed.
# Usage: deb_package_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

echo "== cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out") >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  fail "cpack"
}
deb=$(ls "$work"/out/trustgate_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { cat "$work/cpack.log"; fail "no trustgate_*.deb produced"; }
echo "package: $(basename "$deb")"

echo "== control fields"
dpkg-deb -f "$deb" Package Version Architecture Section Maintainer Depends
[ "$(dpkg-deb -f "$deb" Package)" = trustgate ] || fail "Package is not trustgate"
[ "$(dpkg-deb -f "$deb" Section)" = admin ] || fail "Section is not admin"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "Depends lacks libc6 (shlibdeps not run?)"
dpkg-deb -f "$deb" Description | grep -q '^ ' || fail "Description has no extended part"

echo "== contents"
root="$work/root"
dpkg-deb -x "$deb" "$root"
for f in \
  usr/sbin/trustgated \
  usr/sbin/trustgatectl \
  lib/systemd/system/trustgated.service \
  usr/share/man/man8/trustgated.8.gz \
  usr/share/man/man8/trustgatectl.8.gz \
  usr/share/man/man5/trustgate.conf.5.gz \
  usr/share/doc/trustgate/copyright \
  usr/share/doc/trustgate/changelog.Debian.gz; do
  [ -e "$root/$f" ] || fail "missing /$f"
done
[ -x "$root/usr/sbin/trustgated" ] || fail "/usr/sbin/trustgated not executable"
cmp -s "$root/lib/systemd/system/trustgated.service" "$src/systemd/trustgated.service" ||
  fail "packaged unit differs from systemd/trustgated.service"
for gz in "$root"/usr/share/man/man*/*.gz "$root/usr/share/doc/trustgate/changelog.Debian.gz"; do
  gzip -t "$gz" || fail "$gz is not valid gzip"
done
for page in "$src"/docs/man/*.[58]; do
  name=$(basename "$page")
  gzip -dc "$root/usr/share/man/man${name##*.}/$name.gz" | cmp -s - "$page" ||
    fail "packaged $name.gz differs from docs/man/$name"
done
# Ownership and modes as lintian expects: root:root, no group/world-writable files.
if dpkg-deb -c "$deb" | awk '$2 != "root/root" { bad = 1; print } END { exit !bad }'; then
  fail "files not owned by root/root"
fi
if dpkg-deb -c "$deb" | awk 'substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w" { bad = 1; print } END { exit !bad }'; then
  fail "group- or world-writable entries"
fi
[ -z "$(find "$root/etc" -type f 2>/dev/null)" ] || fail "files under /etc are not expected"

echo "== lintian"
lintian --tag-display-limit 0 --allow-root "$deb" >"$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log"; then
  fail "lintian reported errors"
fi
echo "lintian warnings: $(grep -c '^W: ' "$work/lintian.log" || true)"
echo "PASS"
