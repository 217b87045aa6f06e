#!/usr/bin/env bash
# Installs the system packages the tests need beyond Java, Maven and Node.js: Debian's Chromium and its driver, which
# the controller's browser tests drive (Selenium, no browser download). Idempotent: does nothing when both are there.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/install-test-deps.sh

Installs Debian's `chromium` and `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver) with apt-get when
either is missing; the controller's browser tests (controller/src/test/java/.../ui) drive them headless.
Needs root (or sudo) only when something is missing. Does nothing when both binaries exist.
USAGE
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-test-deps.sh: need root or sudo to install chromium" >&2; exit 1; }
  sudo=(sudo)
fi
command -v apt-get >/dev/null || {
  echo "install-test-deps.sh: no apt-get; install chromium and chromedriver at /usr/bin yourself" >&2
  exit 1
}

echo "install-test-deps.sh: installing chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
for bin in /usr/bin/chromium /usr/bin/chromedriver; do
  [[ -x $bin ]] || { echo "install-test-deps.sh: $bin is still missing after the install" >&2; exit 1; }
done
echo "install-test-deps.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) installed" >&2
