#!/usr/bin/env bash
# Runs the controller's PostgreSQL tests (those on PgFixture) against PostgreSQL in a container, through
# Testcontainers, as CI with a Docker engine does. Where no image registry is reachable it uses the image that
# scripts/build-pg-image.sh builds from Debian's packages, and starts a Docker engine itself if none answers (stopped
# again at the end); the container shares the host's network and listens on 127.0.0.1 only.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/test-pg-container.sh [--image NAME] [--tests PATTERN]

  --image NAME     the PostgreSQL image (default loginrelay/postgres:local, built by scripts/build-pg-image.sh when
                   missing; give postgres:16 where the official image can be pulled)
  --tests PATTERN  surefire -Dtest pattern (default: PgFixtureTest and the store tests)
Needs root when it has to start dockerd or build the image. The log line "test database=container image=...
server=PostgreSQL ..." (also in the surefire XML reports) says which PostgreSQL ran; it is printed at the end.
EOF
}

IMAGE=loginrelay/postgres:local
TESTS='PgFixtureTest,DbTest,SessionStoreTest,SessionTransitionTest,SessionRaceTest,OperatorQueriesTest'
while [ $# -gt 0 ]; do
  case "$1" in
    --image) IMAGE="$2"; shift 2 ;;
    --tests) TESTS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STARTED_DOCKERD=""
if ! docker info >/dev/null 2>&1; then
  if [ "$IMAGE" = loginrelay/postgres:local ]; then
    scripts/build-pg-image.sh --start-docker --if-missing --tag "$IMAGE"
  else
    scripts/build-pg-image.sh --start-docker --engine-only # the engine pulls $IMAGE itself
  fi
  STARTED_DOCKERD="$(cat /var/run/docker.pid 2>/dev/null || true)"
elif [ "$IMAGE" = loginrelay/postgres:local ] && ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  scripts/build-pg-image.sh --tag "$IMAGE"
fi
# shellcheck source=lib/docker-engine.sh
DOCKER_ENGINE_LOG_PREFIX=test-pg-container
. scripts/lib/docker-engine.sh
stop_dockerd() {
  if [ -n "$STARTED_DOCKERD" ]; then
    echo "test-pg-container: stopping the dockerd it started (pid $STARTED_DOCKERD)" >&2
    docker_engine_stop "$STARTED_DOCKERD"
  fi
}
trap stop_dockerd EXIT

NETWORK=""
if [ -z "$(docker network ls -q --filter name='^bridge$')" ]; then
  NETWORK=host # an engine without its bridge (dockerd --bridge=none) publishes no ports
fi

# Ryuk (Testcontainers' reaper) and its start-up checks are images from a registry; PgFixture stops its container
# with a shutdown hook instead. Without a bridge the containers' address is the host's own: Testcontainers would
# otherwise look it up on the bridge network when it runs inside a container itself (/.dockerenv).
env LOGINRELAY_TEST_PG=container LOGINRELAY_TEST_PG_IMAGE="$IMAGE" LOGINRELAY_TEST_PG_NETWORK="$NETWORK" \
  TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CHECKS_DISABLE=true \
  ${NETWORK:+TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1} \
  mvn -B -ntp -q -pl agent,controller -am test -Dtest="$TESTS" -Dsurefire.failIfNoSpecifiedTests=false
echo "test-pg-container: which PostgreSQL ran (from the surefire reports):" >&2
for t in ${TESTS//,/ }; do
  cat controller/target/surefire-reports/TEST-*."$t".xml 2>/dev/null
done | grep -ohE 'test database=[^]<]*server=[^]<]*' | sort -u >&2 || true
