#!/bin/sh
# Installs the headless browser that the report's browser tests drive (Debian's chromium
# package at /usr/bin/chromium; Playwright's Python client only drives it). Idempotent: does
# nothing when /usr/bin/chromium is already there. Never downloads a browser build of its own.
set -eu

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: /usr/bin/chromium is missing and this is not root, so it cannot be installed here." >&2
    echo "install-browser: run 'sudo apt-get install chromium' (Debian/Ubuntu); until then the report's browser tests are skipped." >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get on this system; install Chromium at /usr/bin/chromium by hand (or set REPRINTS_CHROMIUM" >&2
    echo "install-browser: to its path); until then the report's browser tests are skipped." >&2
    exit 0
fi
echo "install-browser: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')" >&2
