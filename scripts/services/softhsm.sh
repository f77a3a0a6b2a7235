#!/usr/bin/env bash
# SoftHSM2 (Debian's build) for the PKCS#11 key tests: a library, not a server. Nothing runs; the
# tests load the module in-process and make a fresh token per test in a temp directory with its own
# SOFTHSM2_CONF (test/helpers/softhsm.ts).
#
#   softhsm.sh start    make sure the module and softhsm2-util exist, print export lines
#   softhsm.sh stop     nothing to stop (idempotent)
#   softhsm.sh status   exit 0 when the module is available
#
# Where from, in order:
#   1. the system's package (/usr/lib/softhsm/libsofthsm2.so, Debian's softhsm2);
#   2. the cache, $CHAINWATCH_CACHE/softhsm (a previous run's unpacked packages);
#   3. without root: `apt-get download softhsm2 softhsm2-common libsofthsm2` + `dpkg -x` into the
#      cache (no install, no root; the packages' only dependencies, libcrypto3/libstdc++, are in
#      every Debian base image: ldd checks that nothing is missing);
#   4. as root, when the download cannot be unpacked: `apt-get install -y softhsm2`.
# stdout carries ONLY `export ...` lines; everything else goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

CACHE="$CHAINWATCH_CACHE/softhsm"
SYSTEM_MODULE=/usr/lib/softhsm/libsofthsm2.so
CACHED_MODULE="$CACHE/root/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"
CACHED_UTIL="$CACHE/root/usr/bin/softhsm2-util"

log() { echo "softhsm.sh: $*" >&2; }

# module + util paths of the first complete installation, on stdout; nothing when none.
found() {
  if [[ -f "$SYSTEM_MODULE" ]] && command -v softhsm2-util >/dev/null; then
    echo "$SYSTEM_MODULE $(command -v softhsm2-util)"
  elif [[ -f "$CACHED_MODULE" && -x "$CACHED_UTIL" ]]; then
    echo "$CACHED_MODULE $CACHED_UTIL"
  fi
}

# Unpacks Debian's packages into the cache without installing them (no root needed).
download() {
  local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/softhsm-deb.XXXXXX")
  log "downloading Debian's softhsm2 packages (once; unpacked into $CACHE)"
  if ! (cd "$tmp" && apt-get download softhsm2 softhsm2-common libsofthsm2 >&2); then
    rm -rf "$tmp"; return 1
  fi
  rm -rf "$CACHE/root.new"; mkdir -p "$CACHE/root.new"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$CACHE/root.new"; done
  rm -rf "$tmp"
  local missing
  missing=$(ldd "$CACHE/root.new/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so" "$CACHE/root.new/usr/bin/softhsm2-util" | grep 'not found' || true)
  if [[ -n "$missing" ]]; then
    log "the unpacked SoftHSM lacks shared libraries: $missing"; rm -rf "$CACHE/root.new"; return 1
  fi
  rm -rf "$CACHE/root"; mv "$CACHE/root.new" "$CACHE/root"
}

ensure() {
  [[ -n "$(found)" ]] && return 0
  download && [[ -n "$(found)" ]] && return 0
  if [[ $(id -u) -eq 0 ]]; then
    log "falling back to apt-get install softhsm2 (root)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends softhsm2 >&2
  fi
  [[ -n "$(found)" ]] || { log "SoftHSM2 is not available (no package download, not root)"; exit 1; }
}

case "${1:-}" in
  start)
    ensure
    read -r module util <<< "$(found)"
    log "module $module"
    echo "export CHAINWATCH_TEST_SOFTHSM_MODULE=$module"
    echo "export CHAINWATCH_TEST_SOFTHSM_UTIL=$util"
    ;;
  stop) ;;
  status) [[ -n "$(found)" ]] ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
