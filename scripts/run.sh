#!/usr/bin/env bash
# Runs LoginRelay locally with embedded defaults: builds the jars if needed, installs the pinned CLIs, starts the agent.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run.sh [agent flags]

Builds agent/target/loginrelay-agent.jar (if missing or older than the sources), installs the pinned CLIs into
.clis/, and runs the agent on 127.0.0.1:7070 with its state under .loginrelay/agent (the API token is generated
into .loginrelay/agent/agent.token on first start). Flags are passed to the agent, e.g. --port 7171.
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
jar=agent/target/loginrelay-agent.jar
if [ ! -f "$jar" ] || [ -n "$(find agent/src pom.xml agent/pom.xml -newer "$jar" -print -quit)" ]; then
  mvn -B -ntp -q -DskipTests package
fi
bin=$(scripts/install-clis.sh)
export LOGINRELAY_AGENT_CLI_PATH="${LOGINRELAY_AGENT_CLI_PATH:-$bin}"
export LOGINRELAY_AGENT_WORK_DIR="${LOGINRELAY_AGENT_WORK_DIR:-$root/.loginrelay/agent}"
exec java -jar "$jar" "$@"
