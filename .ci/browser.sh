#!/usr/bin/env bash
# Browser journeys: install Debian's chromium (and a CJK font, so screenshots of the
# Chinese pages are legible) when missing, then `make test-browser`.
# Playwright's own browser download does not work on CI machines; tests/browser
# launches /usr/bin/chromium (override with DMS_CHROMIUM).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$CI_ROOT"

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || [[ -z $(fc-list :lang=zh 2>/dev/null) ]]; then
    packages+=(fonts-wqy-microhei)
fi
if ((${#packages[@]})); then
    log "apt-get install ${packages[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
log "$(chromium --version 2>/dev/null | head -n 1)"

make --no-print-directory test-browser
