#!/usr/bin/env bash
# Runs LoginRelay locally with embedded defaults: the controller (embedded PostgreSQL, local agents, the pages).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run.sh [--agent-only [agent flags]]

Builds the jars if a source file is newer than them, installs the pinned CLIs (snapshot/clis.txt) into .clis/, and
runs the controller on http://127.0.0.1:8080 with its state under .loginrelay/controller: embedded PostgreSQL (data
kept across restarts), a generated API key (.loginrelay/controller/api-key) and operator token
(.loginrelay/controller/operator-token), and local agent processes started ahead and shared by sessions (with
claude, codex and gemini logins started before the clicks). Open http://127.0.0.1:8080/ for the Connect page. Every LOGINRELAY_* variable of the README's configuration table is honoured (e.g.
LOGINRELAY_HTTP_PORT=9090).

The first run takes about a minute and a half: the Maven build (~50 s, dependencies from Maven Central on a cold
~/.m2), the pinned CLIs (~870 MB into .clis/, npm) and the embedded PostgreSQL's first start (initdb). A later run
with nothing changed is up in about 10 s on an idle 2-core machine (mostly the agents' self-check of the CLIs).

  --agent-only   run just one agent on 127.0.0.1:7070 (state under .loginrelay/agent); further flags go to it
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# Plain logs: Maven 3.8's jansi writes ESC[0m resets even in batch mode (-B); style.color is Maven 3.9's switch.
export MAVEN_OPTS="-Djansi.noreset=true ${MAVEN_OPTS:-}"
agent_jar=agent/target/loginrelay-agent.jar
controller_jar=controller/target/loginrelay-controller.jar
t0=$SECONDS
say() { echo "run.sh: $*" >&2; }

# The first source file (poms, sources, resources, migrations; never target/) newer than the older jar, if any.
changed_source() {
  local older=$agent_jar
  [ "$controller_jar" -nt "$agent_jar" ] || older=$controller_jar
  find pom.xml agent/pom.xml controller/pom.xml sql agent/src controller/src -type f -newer "$older" -print -quit
}
if [ ! -f "$agent_jar" ] || [ ! -f "$controller_jar" ]; then
  say "[1/4] build: no jars yet; mvn package (tests skipped; scripts/test.sh runs them), about 50 s"
  mvn -B -ntp -q -Dstyle.color=never -DskipTests package
elif newer=$(changed_source) && [ -n "$newer" ]; then
  say "[1/4] build: $newer is newer than the jars; mvn package (tests skipped)"
  mvn -B -ntp -q -Dstyle.color=never -DskipTests package
else
  say "[1/4] build: jars up to date"
fi

cli_dir=${LOGINRELAY_CLIS_DIR:-$root/.clis}
say "[2/4] CLIs: the pinned versions (snapshot/clis.txt) in $cli_dir; a first install fetches ~870 MB with npm"
# One pass: install-clis.sh installs only what differs from the pins; its "already installed" lines are noise here.
bin_file=$(mktemp)
trap 'rm -f "$bin_file"' EXIT
scripts/install-clis.sh 2>&1 >"$bin_file" | { grep -v 'already installed' || true; } >&2
bin=$(tail -n 1 "$bin_file")
rm -f "$bin_file"

if [ "${1:-}" = "--agent-only" ]; then
  shift
  export LOGINRELAY_AGENT_CLI_PATH="${LOGINRELAY_AGENT_CLI_PATH:-$bin}"
  export LOGINRELAY_AGENT_WORK_DIR="${LOGINRELAY_AGENT_WORK_DIR:-$root/.loginrelay/agent}"
  say "[3/4] agent: state under $LOGINRELAY_AGENT_WORK_DIR, token in $LOGINRELAY_AGENT_WORK_DIR/agent.token"
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
host=${LOGINRELAY_HTTP_HOST:-127.0.0.1}
port=${LOGINRELAY_HTTP_PORT:-8080}
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  say "something already listens on $host:$port; stop it or set LOGINRELAY_HTTP_PORT" && exit 1
fi
if [ -n "${LOGINRELAY_DATABASE_URL:-}" ]; then
  say "[3/4] database: LOGINRELAY_DATABASE_URL"
elif [ -f "$LOGINRELAY_DATA_DIR/pg/PG_VERSION" ]; then
  say "[3/4] database: embedded PostgreSQL, data in $LOGINRELAY_DATA_DIR/pg"
else
  say "[3/4] database: embedded PostgreSQL, first start (initdb into $LOGINRELAY_DATA_DIR/pg, about 5 s)"
fi
# Says when the controller answers; gives up when the controller exits (exec below keeps this shell's pid, $$).
(
  while kill -0 $$ 2>/dev/null && sleep 0.2; do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      say "[4/4] listening: Connect page on http://$host:$port/ ($((SECONDS - t0)) s after run.sh started)"
      exit 0
    fi
  done
) &
exec java -jar "$controller_jar"
