#!/usr/bin/env bash
# Benchmark: session create+read through the controller vs. pgbench single-row inserts, same database, same run.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/bench-controller.sh [SECONDS] [CLIENTS]

Starts embedded PostgreSQL and an in-process controller (sessions are not dispatched to agents: the API and
database path is what is measured), then for each client count runs create+read for SECONDS and pgbench inserting
one row per transaction for SECONDS, side by side. Defaults: 10 seconds, clients 1,16,64. Needs pgbench.
Prints a markdown table (see docs/benchmarks.md).
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v pgbench >/dev/null || { echo "bench-controller: pgbench is not installed (Debian: postgresql-client / postgresql)" >&2; exit 1; }
mvn -B -ntp -q -DskipTests install >&2
cp=$(mktemp)
trap 'rm -f "$cp"' EXIT
mvn -B -ntp -q -pl controller dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp" >&2
java -Dlogback.configurationFile="$root/controller/src/main/resources/logback.xml" -cp "controller/target/test-classes:controller/target/classes:$(cat "$cp")" \
  dev.loginrelay.controller.bench.ControllerBench "${1:-10}" "${2:-1,16,64}" "$(command -v pgbench)"
