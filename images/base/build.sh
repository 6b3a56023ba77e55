#!/usr/bin/env bash
# Builds firedrill/base: Debian bookworm with the tools a drill runs
# (bash, coreutils, procps, git, make, ca-certificates, restic).
#
# Where a registry answers, the image is built from debian:bookworm-slim
# (Dockerfile.pull). Where none does, Debian is bootstrapped with debootstrap
# from the machine's own apt mirror and imported with `docker import`.
#
# usage: build.sh IMAGE HASH
set -euo pipefail
image=$1 hash=$2
here=$(cd "$(dirname "$0")" && pwd)
packages=$(paste -sd, "$here/packages.txt")

log() { printf 'images: base: %s\n' "$*" >&2; }

if [ "${FIREDRILL_BASE_FROM:-auto}" != "debootstrap" ] && timeout 20 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
  log "registry reachable: building from debian:bookworm-slim"
  docker build -q --label "firedrill.hash=$hash" -t "$image" -f "$here/Dockerfile.pull" "$here" >/dev/null
  exit 0
fi

# The mirror comes from this machine's apt configuration, never from the repo.
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true) | awk '{print $2}' | grep -v -- '-security' | head -n1)
fi
if [ -z "$mirror" ]; then
  mirror=$( (grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list || true) | awk '$3 ~ /^bookworm$/ {print $2}' | head -n1)
fi
if [ -z "$mirror" ]; then
  log "no Debian mirror found in /etc/apt: set DEBIAN_MIRROR=http://<mirror>/debian"; exit 1
fi
if [ "$(id -u)" != 0 ]; then
  log "no registry answers and debootstrap needs root: run 'sudo make images' (or 'sudo make test'), or make debian:bookworm-slim pullable"; exit 1
fi
if ! command -v debootstrap >/dev/null; then
  # As root, what the base needs from Debian is installed here, once.
  log "debootstrap is missing: installing it (apt-get install -y debootstrap)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } 2>&1 | tail -n 5 >&2 ||
    ! command -v debootstrap >/dev/null; then
    log "could not install debootstrap with apt-get: install it by hand ('apt-get install -y debootstrap') and run again"; exit 1
  fi
fi

root=$(mktemp -d /tmp/firedrill-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
log "no registry: debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Slim: documentation, manuals, locales, apt lists and caches.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'en*' -exec rm -rf {} + 2>/dev/null || true
log "importing"
tar -C "$root" -c . | docker import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL firedrill.hash=$hash" \
  - "$image" >/dev/null
