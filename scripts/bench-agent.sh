#!/usr/bin/env bash
# Benchmarks the agent: time to the real codex auth URL through the agent vs. under `script`, and the agent JVM's
# memory and threads per concurrent login. Results go to docs/benchmarks.md by hand; see that file.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/bench-agent.sh [--runs N] [--warmup N] [--levels N,N,...] [--part latency|memory|all]
                              [--agent-jvm-args '-Xmx512m'] [--out DIR]

Builds agent/target/loginrelay-agent.jar if missing or older than the sources (mvn -pl agent -am package), compiles
the benchmark (agent test classes), installs the pinned CLIs into .clis/, then runs
dev.loginrelay.agent.bench.AgentBench with the agent's test classpath:

  part 1 (latency)  the real codex login, alternating (A) through a separate agent JVM over HTTP and (B) directly
                    under `script -q -c 'codex login' /dev/null`; time until the auth URL is in hand.
                    codex's HTTPS goes to a dead loopback proxy (127.0.0.1:9): nothing leaves the machine.
  part 2 (memory)   a fresh agent JVM per level with that many fake-paste.js logins at awaiting_user; the agent
                    process's VmRSS, thread count and heap used after a full GC (jcmd).

  --runs N          measured runs per side in part 1 (default 20)
  --warmup N        discarded runs per side before them (default 3)
  --levels LIST     concurrent logins in part 2 (default 1,50,200; lowered if MemAvailable is short)
  --part P          latency, memory or all (default all)
  --agent-jvm-args  the agent JVM's options (default -Xmx512m)
  --out DIR         working dirs and results.md go to DIR/<timestamp>/ (default agent/target/bench)

Every process it starts stops by itself; anything left under the run's directory is killed and fails the run.
Needs Linux, Java 17 (jcmd), Maven, Node.js 20, npm and util-linux `script`. Takes about 3 minutes.
Part 1 needs 127.0.0.1:1455 to itself (codex's fixed callback port) and both parts want a quiet machine: do not run
it beside the Real* tests, other codex logins or a build. The load average is recorded in the results.
USAGE
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --runs|--warmup|--levels|--part|--agent-jvm-args|--out)
      [ $# -ge 2 ] || { echo "bench-agent: $1 needs a value (see --help)" >&2; exit 2; }
      args+=("$1" "$2"); shift 2 ;;
    *) echo "bench-agent: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in java jcmd mvn node script; do
  command -v "$tool" >/dev/null || { echo "bench-agent: $tool is not installed" >&2; exit 1; }
done
cd "$root"

jar=agent/target/loginrelay-agent.jar
if [ ! -f "$jar" ] || [ -n "$(find agent/src/main pom.xml agent/pom.xml -newer "$jar" -print -quit)" ]; then
  echo "bench-agent: building $jar" >&2
  # Only the agent module (and the parent): the benchmark needs nothing from the controller.
  mvn -B -ntp -q -pl agent -am -DskipTests package >&2
fi
mvn -B -ntp -q -pl agent test-compile >&2
mkdir -p agent/target/bench
cp_file=agent/target/bench/classpath.txt
mvn -B -ntp -q -pl agent org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$root/$cp_file" -Dmdep.includeScope=test >&2
bin=$(scripts/install-clis.sh)

echo "bench-agent: $(nproc) CPUs; free -g:" >&2
free -g >&2
java -version 2>&1 | sed 's/^/bench-agent: /' >&2

exec java -cp "agent/target/test-classes:agent/target/classes:$(cat "$cp_file")" \
  dev.loginrelay.agent.bench.AgentBench --root "$root" --cli-bin "$bin" --jar "$root/$jar" "${args[@]}"
