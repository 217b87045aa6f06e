#!/usr/bin/env bash
# Runs every test of LoginRelay, installing first what the tests need (the pinned CLIs from snapshot/clis.txt).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/test.sh [extra mvn arguments]

Installs the pinned CLIs (scripts/install-clis.sh) into .clis/, then runs `mvn -B verify` over all modules:
unit tests, the agent against fake CLIs under a real PTY, the real Codex CLI against a local fake issuer, and the
controller against a real PostgreSQL (LOGINRELAY_TEST_PG_URL if set, else embedded PostgreSQL).
Example: scripts/test.sh -pl agent -Dtest='Fake*'
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
for tool in java mvn node npm; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is not installed" >&2; exit 1; }
done
scripts/install-clis.sh >/dev/null
exec mvn -B -ntp verify "$@"
