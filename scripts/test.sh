#!/usr/bin/env bash
# Runs every test of LoginRelay, installing first what the tests need (the pinned CLIs from snapshot/clis.txt, and
# Debian's Chromium and chromedriver for the browser tests).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/test.sh [extra mvn arguments]

Installs the pinned CLIs (scripts/install-clis.sh) into .clis/ and, when missing, Debian's chromium and
chromium-driver (scripts/install-test-deps.sh), then runs `mvn -B verify` over all modules:
unit tests, the agent against fake CLIs under a real PTY, the real Codex CLI against a local fake issuer, and the
controller against a real PostgreSQL (LOGINRELAY_TEST_PG_URL if set, else embedded PostgreSQL), and its pages in
headless Chromium.
Results of the real-CLI tests: target/compatibility.md (scripts/compat-table.sh). A full run (no arguments) also
updates the committed docs/compatibility.md, only when a result changed; everything else stays under target/.
Example: scripts/test.sh -pl agent -Dtest='Fake*'
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# Plain logs: Maven 3.8's jansi writes ESC[0m resets even in batch mode (-B); style.color is Maven 3.9's switch.
export MAVEN_OPTS="-Djansi.noreset=true ${MAVEN_OPTS:-}"
for tool in java mvn node npm; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is not installed" >&2; exit 1; }
done
scripts/install-clis.sh >/dev/null
scripts/install-test-deps.sh
# A full run records the real-CLI results afresh; a partial one (extra mvn arguments) updates the earlier ones.
[ $# -gt 0 ] || scripts/compat-table.sh --reset
status=0
mvn -B -ntp -Dstyle.color=never verify "$@" || status=$?
# The real-CLI results, red rows included, go to target/compatibility.md; a full run also updates
# docs/compatibility.md, but only when a result changed (git status stays clean otherwise). The exit code stays mvn's.
if [ $# -gt 0 ]; then
  scripts/compat-table.sh || echo "test.sh: could not render target/compatibility.md" >&2
else
  scripts/compat-table.sh --docs || echo "test.sh: could not render the compatibility table" >&2
fi
exit "$status"
