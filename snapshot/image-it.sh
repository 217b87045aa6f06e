#!/usr/bin/env bash
# The agent's OCI image end to end, as CI runs it: a network namespace of its own, a Docker engine started inside it
# (so `docker run --network host` puts the container in that namespace, not in this host's), the image built there
# by image.sh, then AgentImageIT (mvn -Pimage) run inside the namespace too: the self-check in the container and the
# real codex device login in the container against the fake issuer the test serves on the namespace's loopback.
# Needs root. Stops the engine and deletes the namespace on exit, also on failure.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/image-it.sh [--cache DIR] [--tag NAME] [--timeout SECS]

  1. ip netns add loginrelay-image-<pid>, loopback up, nothing else: no route out, no other interface
  2. dockerd inside it (nsenter --net) with no bridge and no iptables, its own socket and exec root, and a data root
     kept in DIR/docker-it between runs (the image stays there); a host-wide containerd, if one runs, is hidden
     from it so that its containers start from this namespace too
  3. snapshot/image.sh against that engine (nothing to do when the image of these inputs is there)
  4. ip netns exec ... mvn -o -Pimage -pl agent verify: AgentImageIT (see its Javadoc)
Prints the time of steps 3 and 4. Run scripts/test.sh (or mvn package) first: the image takes
agent/target/loginrelay-agent.jar, and Maven runs offline inside the namespace.

  --cache DIR     build.sh's cache dir (default snapshot/.cache; LOGINRELAY_SNAPSHOT_CACHE)
  --tag NAME      the image name (default loginrelay/agent:local)
  --timeout SECS  for each of steps 3 and 4 (default 1800)
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${LOGINRELAY_SNAPSHOT_CACHE:-$here/.cache}
tag=loginrelay/agent:local
limit=1800
while [ $# -gt 0 ]; do
  case "$1" in
    --cache) cache=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "image-it: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
log() { printf '%s image-it: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (ip netns, dockerd, build.sh)"
# shellcheck source=../scripts/lib/docker-engine.sh
DOCKER_ENGINE_LOG_PREFIX=image-it
. "$root/scripts/lib/docker-engine.sh"
command -v ip >/dev/null || die "ip is not installed (apt-get install iproute2)"
command -v nsenter >/dev/null && command -v unshare >/dev/null || die "nsenter/unshare are missing (util-linux)"
docker_engine_install
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
[ -f "$root/agent/target/loginrelay-agent.jar" ] || (cd "$root" && mvn -B -q -ntp -pl agent -DskipTests package)

# One run at a time per cache: the engine's data root is kept there.
exec 8>"$cache/docker-it.lock"
flock -n 8 || { log "another image-it.sh uses $cache; waiting for it"; flock 8; }

ns=loginrelay-image-$$
run=/run/loginrelay-image-it.$$
step_pid=""
# A step runs in the background and is waited for: bash would run the traps only after a foreground command ended.
# `timeout` leads a process group of its own and passes a signal it gets to all of it (image.sh, build.sh, Maven,
# the test JVM).
step() {
  timeout "$limit" "$@" &
  step_pid=$!
  local rc=0
  wait "$step_pid" || rc=$?
  step_pid=""
  return "$rc"
}
cleanup() {
  local rc=$? _
  [ "$rc" = 0 ] || log "stopping (exit $rc): the step under way, the engine and its containers, the namespace"
  if [ -n "$step_pid" ]; then
    kill -TERM "$step_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$step_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$step_pid" 2>/dev/null || true
  fi
  if [ -n "$DOCKER_ENGINE_PID" ]; then
    # Containers the test left (it removes its own; this covers a killed run), then the engine.
    docker ps -aq --filter name=loginrelay-image-it 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker_engine_stop "$DOCKER_ENGINE_PID"
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$run" 2>/dev/null || { log "left behind: $run (a mount in it is busy)"; }
  exit $rc
}
trap cleanup EXIT
trap "exit 130" INT TERM

outer_netns=$(readlink /proc/self/ns/net)
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p "$run" "$cache/docker-it"
export DOCKER_HOST=unix://$run/docker.sock
# With --network host a container gets no network namespace of its own, so it stays in the namespace of the runtime
# that starts it (containerd's shim), not necessarily dockerd's: dockerd must run its own containerd, inside the
# namespace. dockerd uses a host-wide containerd instead when its socket exists, so an empty /run/containerd hides
# it. The engine runs in a private mount namespace: what it mounts (the namespace file, the containers' root
# filesystems) goes away with it instead of staying behind on the host.
hide='[ -S /run/containerd/containerd.sock ] && mount -t tmpfs none /run/containerd; exec "$0" "$@"'
DOCKER_ENGINE_WRAP=(nsenter "--net=/run/netns/$ns" unshare --mount --propagation private sh -c "$hide")
docker_engine_start "$run/dockerd.log" --data-root "$cache/docker-it" --exec-root "$run/exec" \
  --pidfile "$run/docker.pid" -H "$DOCKER_HOST" || die "no Docker engine in the namespace"

t0=$(date +%s)
step "$here/image.sh" --cache "$cache" --tag "$tag" || die "image.sh failed or took over ${limit}s"
t1=$(date +%s)
log "image ready in $((t1 - t0))s; running AgentImageIT in namespace $ns"
cd "$root"
step ip netns exec "$ns" mvn -B -ntp -o -Pimage -pl agent verify -Dloginrelay.image="$tag" \
  -Dloginrelay.image.outer-netns="$outer_netns" \
  || die "AgentImageIT failed or took over ${limit}s (reports: agent/target/failsafe-reports)"
log "AgentImageIT passed in $(( $(date +%s) - t1 ))s (image $((t1 - t0))s)"
