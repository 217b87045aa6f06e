#!/usr/bin/env bash
# Kills the shipped controller jar with kill -9 at random points N times in a row (sessions being dispatched, pending,
# awaiting the user), then checks every start came up the first time, no session was lost or left open past its
# deadline, and no agent process runs that no open session owns (ControllerCrashIT).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/crash-loop.sh [ROUNDS] [SEED]

  ROUNDS   kill -9 rounds in a row (default 10; the test suite runs 3)
  SEED     repeat an earlier run's random kill points (the test logs its seed)

Builds the jars (mvn verify, no other tests), then runs ControllerCrashIT with its own temporary data dir
and port on 127.0.0.1. Takes 10-60 s a round on a busy 2-core machine.
USAGE
}

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
rounds=${1:-10}
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] || { usage >&2; exit 2; }
seed_arg=()
if [ -n "${2:-}" ]; then
  [[ "$2" =~ ^-?[0-9]+$ ]] || { echo "crash-loop: SEED must be a number" >&2; exit 2; }
  seed_arg=("-Dloginrelay.crash.seed=$2")
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# verify builds the jars first (package), then failsafe runs the IT against the fresh controller jar.
mvn -B -ntp -q -pl agent,controller -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ControllerCrashIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dloginrelay.crash.rounds="$rounds" "${seed_arg[@]}"
echo "crash-loop: $rounds rounds passed (see controller/target/failsafe-reports for the start times)" >&2
