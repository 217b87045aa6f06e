#!/usr/bin/env bash
# Benchmark: click to sign-in link through LoginRelay vs. the bare CLI, a burst of creates, memory per live login.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/bench-connect.sh [PAIRS] [PROVIDERS] [BURST] [BURST_PROVIDER]

Starts embedded PostgreSQL and an in-process controller with its default configuration (local pool, warm agents),
then:
  1. click to link: POST /api/v1/auth-sessions until the session shows the auth URL, against
     `script -q -c '<the CLI's login command>'` until the same URL is on its terminal, PAIRS alternating pairs per
     provider (default 10; providers default codex,claude);
  2. a burst of BURST sessions created at once (default 100, provider default claude): failures, order, settling;
  3. memory of the live logins (agent JVMs vs. the CLIs), then cancel all and time until every CLI is gone.
Uses the pinned CLIs in .clis/ (scripts/install-clis.sh). Everything stays on 127.0.0.1; every loop is bounded.
Prints markdown tables (see docs/benchmarks.md).
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=$(scripts/install-clis.sh | tail -n 1)
mvn -B -ntp -q -DskipTests install >&2
cp=$(mktemp)
trap 'rm -f "$cp"; rm -rf "$root"/connect-bench*' EXIT
mvn -B -ntp -q -pl controller dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp" >&2
LOGINRELAY_LOG_LEVEL=${LOGINRELAY_LOG_LEVEL:-WARN} java -Dlogback.configurationFile="$root/controller/src/main/resources/logback.xml" \
  -cp "controller/target/test-classes:controller/target/classes:$(cat "$cp")" \
  dev.loginrelay.controller.bench.ConnectBench "$bin" "${1:-10}" "${2:-codex,claude}" "${3:-100}" "${4:-claude}"
