#!/usr/bin/env bash
# Renders docs/compatibility.md (provider x pinned CLI version x login flow) from the results the real-CLI tests
# recorded in the last test run.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/compat-table.sh [--reset] [--out FILE]

The Real* tests (@Compat + CompatibilityRecorder) append one JSON line per test result to
agent/target/compatibility/*.jsonl and controller/target/compatibility/*.jsonl: provider, npm package, the CLI
version installed in .clis/, flow, entry point, PASS/FAIL. This renders them into a markdown table, one row per
provider x version x flow x entry point, red when any of its tests failed. scripts/test.sh runs it after
`mvn verify`, whether the build passed or not. Needs the compiled test classes (agent/target/test-classes).

  --reset     delete the recorded results instead (scripts/test.sh does this before a run)
  --out FILE  write the table there (default: docs/compatibility.md)
USAGE
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/docs/compatibility.md
records=("$root/agent/target/compatibility" "$root/controller/target/compatibility")
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --reset) rm -rf "${records[@]}"; exit 0 ;;
    --out) out=$2; shift 2 ;;
    *) echo "compat-table.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

classes=$root/agent/target/test-classes
if [ ! -f "$classes/dev/loginrelay/agent/testing/CompatibilityTable.class" ]; then
  echo "compat-table.sh: $classes has no CompatibilityTable; build the tests first (mvn -pl agent test-compile)" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
exec java -cp "$classes" dev.loginrelay.agent.testing.CompatibilityTable "$out" "${records[@]}"
