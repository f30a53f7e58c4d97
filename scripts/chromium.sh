#!/usr/bin/env bash
# Installs Debian's `chromium` package if missing and prints the browser's path, for the status page
# test (headless, driven by puppeteer-core). Same rules as scripts/services.sh: Debian packages only,
# as root or through passwordless sudo; idempotent, so a second run only prints the path.
#
#   scripts/chromium.sh   # prints e.g. /usr/lib/chromium/chromium
#
# WSB_CHROMIUM=/path/to/chromium skips the install and uses that binary.
set -euo pipefail

log() { echo "chromium: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    log "need root to run: $*"; return 1; fi
}

find_chromium() {
  local candidate
  # The binary itself rather than Debian's /usr/bin/chromium wrapper, whose shell checks print noise.
  for candidate in "${WSB_CHROMIUM:-}" /usr/lib/chromium/chromium /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

if ! find_chromium >/dev/null; then
  log "installing chromium from Debian packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade --no-install-recommends \
    chromium fonts-liberation >&2
fi
find_chromium || { log "no chromium binary after the install"; exit 1; }
