# Sourced by the scripts that need a Docker engine where no image registry is reachable (build-pg-image.sh,
# test-pg-container.sh, snapshot/image.sh, snapshot/image-it.sh): install Debian's docker.io when missing, and start a
# dockerd that changes nothing on the host's network (no bridge, no iptables; containers use --network host).
# Not a program: `. scripts/lib/docker-engine.sh`. Needs bash; every function returns non-zero or exits on failure.

# DOCKER_ENGINE_LOG_PREFIX: the log prefix of the calling script (set it before sourcing).
# The pid of the dockerd docker_engine_start started, empty when none was started.
DOCKER_ENGINE_PID=""

docker_engine_log() { echo "${DOCKER_ENGINE_LOG_PREFIX:-docker-engine}: $*" >&2; }

# Answers when the engine the docker CLI points at (DOCKER_HOST or the default socket) responds.
docker_engine_answers() { docker info >/dev/null 2>&1; }

# Installs Debian's docker.io (dockerd, containerd, runc) when dockerd is missing.
docker_engine_install() {
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
  docker_engine_log "installing docker.io (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  }
}

# docker_engine_start LOG [DOCKERD_ARG...]: starts dockerd with no bridge and no iptables plus the given arguments
# (e.g. its own --data-root, --exec-root, --pidfile and -H socket for a second engine), in the background with its
# output in LOG, and waits up to 60 s until the engine the docker CLI points at answers. DOCKER_ENGINE_WRAP, an
# optional array, is put in front of dockerd (e.g. (nsenter --net=/run/netns/x) to start it in a network namespace).
# Sets DOCKER_ENGINE_PID.
docker_engine_start() {
  local log=$1
  shift
  local wrap=()
  if declare -p DOCKER_ENGINE_WRAP >/dev/null 2>&1; then
    wrap=("${DOCKER_ENGINE_WRAP[@]}")
  fi
  docker_engine_log "starting dockerd (log: $log)"
  nohup "${wrap[@]}" dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false "$@" >"$log" 2>&1 &
  DOCKER_ENGINE_PID=$!
  local _
  for _ in $(seq 1 120); do
    if docker_engine_answers; then
      docker_engine_log "dockerd is up (pid $DOCKER_ENGINE_PID)"
      return 0
    fi
    if ! kill -0 "$DOCKER_ENGINE_PID" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  docker_engine_log "dockerd did not answer within 60 s; the end of its log:"
  tail -20 "$log" >&2
  docker_engine_stop "$DOCKER_ENGINE_PID"
  return 1
}

# docker_engine_stop PID: stops that dockerd (TERM, then KILL after 30 s) and waits for it. No-op for an empty PID.
docker_engine_stop() {
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  docker_engine_log "dockerd (pid $pid) did not stop within 30 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
