#!/usr/bin/env bash
# Installs Debian packages that are missing, for the scripts that need them:
#   deploy/apt-install.sh PACKAGE...
# Needs root, or password-less sudo; says so, and what to run by hand, when neither is there.
# Runs 'apt-get update' only when a first install attempt fails (a fresh machine's lists are empty).
set -uo pipefail

fail() { echo "deploy/apt-install.sh: $*" >&2; exit 1; }

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null || fail "${missing[*]} missing and apt-get is not available: install them by hand."
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    fail "${missing[*]} missing; installing needs root (run as root, or give this user password-less sudo): apt-get install -y ${missing[*]}"
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/apt-install.XXXXXX.log")
echo "Installing Debian's ${missing[*]} (apt-get install -y)..." >&2
if ! "${sudo[@]}" apt-get install -y -q "${missing[@]}" >"$log" 2>&1; then
    echo "apt-get install failed; running apt-get update and trying again..." >&2
    "${sudo[@]}" apt-get update -q >>"$log" 2>&1 || { tail -n 20 "$log" >&2; fail "apt-get update failed (log above, full log: $log)."; }
    "${sudo[@]}" apt-get install -y -q "${missing[@]}" >>"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; fail "apt-get install -y ${missing[*]} failed (log above, full log: $log)."; }
fi
rm -f "$log"
