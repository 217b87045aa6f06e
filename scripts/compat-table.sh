#!/usr/bin/env bash
# Renders the compatibility table (provider x pinned CLI version x login flow) from the results the real-CLI tests
# recorded in the last test run, into target/compatibility.md and, with --docs, into docs/compatibility.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/compat-table.sh [--reset] [--docs] [--out FILE]

The Real* tests (@Compat + CompatibilityRecorder) append one JSON line per test result to
agent/target/compatibility/*.jsonl and controller/target/compatibility/*.jsonl: provider, npm package, the CLI
version installed in .clis/, flow, entry point, PASS/FAIL. This renders them into a markdown table, one row per
provider x version x flow x entry point, red when any of its tests failed, written to target/compatibility.md.
The table holds no dates, so a re-run with the same results renders the same bytes.
Needs the compiled test classes (agent/target/test-classes).

  --reset     delete the recorded results instead (scripts/test.sh does this before a full run)
  --docs      also update the committed docs/compatibility.md, only if the table differs from it and holds
              results (scripts/test.sh does this after a full run, whether the build passed or not)
  --out FILE  write the table there instead of target/compatibility.md
USAGE
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/target/compatibility.md
docs=""
records=("$root/agent/target/compatibility" "$root/controller/target/compatibility")
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --reset) rm -rf "${records[@]}"; exit 0 ;;
    --docs) docs=$root/docs/compatibility.md; shift ;;
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
java -cp "$classes" dev.loginrelay.agent.testing.CompatibilityTable "$out" "${records[@]}"
[ -n "$docs" ] || exit 0
if ! grep -q '^| Provider |' "$out"; then
  echo "compat-table.sh: no real-CLI results in this run; $docs left as it was" >&2
elif cmp -s "$out" "$docs"; then
  echo "compat-table.sh: $docs unchanged (same results)" >&2
else
  cp "$out" "$docs"
  echo "compat-table.sh: $docs updated: a result changed (git diff $docs)" >&2
fi
