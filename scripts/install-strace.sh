#!/usr/bin/env bash
# strace, which the crash family (c-crash, docs/concurrency.md "Crash
# states") records tools with. Debian's package when it is missing; exit 3
# when it cannot be had here (the crash cases are then reported
# unsupported, never passed).
set -euo pipefail
if command -v strace >/dev/null; then
    strace -V | head -1
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q strace >/dev/null
    strace -V | head -1
    exit 0
fi
echo "install-strace: strace is missing and apt-get cannot run here (as root)" >&2
exit 3
