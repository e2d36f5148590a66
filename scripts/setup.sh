#!/usr/bin/env bash
# Installs every Debian package trustgate's build, tests, benchmarks and demo need.
# Idempotent and non-interactive; runs apt only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format
  libpoco-dev libsqlitecpp-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev
  libtomlplusplus-dev libre2-dev libldap2-dev libssl-dev libsystemd-dev
  libgtest-dev libgmock-dev libicu-dev libasio-dev libcli11-dev
  slapd ldap-utils openssl
  samba samba-ad-provision samba-dsdb-modules samba-vfs-modules
  wrk nginx-light libboost-dev systemd lintian dpkg-dev fakeroot python3 curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
# slapd: no system database, and no service started by the package on *:389.
echo 'slapd slapd/no_configuration boolean true' | $sudo debconf-set-selections
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
trap '[ $policy_created -eq 1 ] && $sudo rm -f /usr/sbin/policy-rc.d' EXIT
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
