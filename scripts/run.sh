#!/usr/bin/env bash
# Runs LoginRelay locally with embedded defaults: the controller (embedded PostgreSQL, local agents, the pages).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run.sh [--agent-only [agent flags]]

Builds the jars if needed, installs the pinned CLIs (snapshot/clis.txt) into .clis/, and runs the controller on
http://127.0.0.1:8080 with its state under .loginrelay/controller: embedded PostgreSQL (data kept across restarts),
a generated API key (.loginrelay/controller/api-key) and operator token (.loginrelay/controller/operator-token), and
one local agent process per session. Open http://127.0.0.1:8080/ for the Connect page.
Every LOGINRELAY_* variable of the README's configuration table is honoured (e.g. LOGINRELAY_HTTP_PORT=9090).

  --agent-only   run just one agent on 127.0.0.1:7070 (state under .loginrelay/agent); further flags go to it
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
agent_jar=agent/target/loginrelay-agent.jar
controller_jar=controller/target/loginrelay-controller.jar
stale() { [ ! -f "$1" ] || [ -n "$(find "$2" pom.xml sql -newer "$1" -print -quit)" ]; }
if stale "$agent_jar" agent || stale "$controller_jar" controller; then
  echo "run.sh: building (mvn package, tests skipped; scripts/test.sh runs them)" >&2
  mvn -B -ntp -q -DskipTests package
fi
bin=$(scripts/install-clis.sh)

if [ "${1:-}" = "--agent-only" ]; then
  shift
  export LOGINRELAY_AGENT_CLI_PATH="${LOGINRELAY_AGENT_CLI_PATH:-$bin}"
  export LOGINRELAY_AGENT_WORK_DIR="${LOGINRELAY_AGENT_WORK_DIR:-$root/.loginrelay/agent}"
  exec java -jar "$agent_jar" "$@"
fi
export LOGINRELAY_CLI_PATH="${LOGINRELAY_CLI_PATH:-$bin}"
export LOGINRELAY_AGENT_JAR="${LOGINRELAY_AGENT_JAR:-$root/$agent_jar}"
export LOGINRELAY_DATA_DIR="${LOGINRELAY_DATA_DIR:-$root/.loginrelay/controller}"
# The Connect page's demo backend creates sessions for whoever reaches the port: on for this loopback quick start
# only (off by default in the controller).
if [ "${LOGINRELAY_HTTP_HOST:-127.0.0.1}" = 127.0.0.1 ]; then
  export LOGINRELAY_UI_DEMO="${LOGINRELAY_UI_DEMO:-true}"
fi
echo "run.sh: Connect page on http://${LOGINRELAY_HTTP_HOST:-127.0.0.1}:${LOGINRELAY_HTTP_PORT:-8080}/" >&2
exec java -jar "$controller_jar"
