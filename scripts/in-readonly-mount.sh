#!/bin/sh
# Runs a command in a mount namespace of its own in which DIR is an empty, read-only tmpfs: a
# real read-only mount for a test, made without touching the machine's mounts (it needs root, or
# a user namespace; with --check it only says, by its exit code, whether it can).
#
#   sh scripts/in-readonly-mount.sh --check
#   sh scripts/in-readonly-mount.sh DIR command [args...]
set -eu
if [ "${1:-}" = --check ]; then
  exec unshare -m sh -c 'mount -t tmpfs -o ro tmpfs /mnt' 2>/dev/null
fi
dir=$1
shift
exec unshare -m sh -c 'mount -t tmpfs -o ro tmpfs "$1" && shift && exec "$@"' sh "$dir" "$@"
