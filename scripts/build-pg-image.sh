#!/usr/bin/env bash
# Builds a local PostgreSQL image for the controller's tests (PgFixture through Testcontainers) from Debian's own
# postgresql package, without any image registry: debootstrap makes a minimal Debian root file system with PostgreSQL
# in it, and `docker import` turns it into an image. Its entrypoint behaves like the official postgres image's as far
# as Testcontainers' PostgreSQLContainer relies on it: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, a temporary
# server for the set-up and then the real one (so "ready to accept connections" is logged twice), `postgres -c ...`
# arguments passed on.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/build-pg-image.sh [--tag NAME] [--start-docker [--engine-only]] [--if-missing] [--suite SUITE]

Builds NAME (default loginrelay/postgres:local) from Debian's postgresql package. Run as root.
  --tag NAME       the image name
  --start-docker   install docker.io if missing and start dockerd (--bridge=none --iptables=false) if no engine
                   answers; containers then use --network host and talk over 127.0.0.1 only
  --engine-only    with --start-docker: only make sure an engine answers, build nothing
  --if-missing     do nothing when the image exists already
  --suite SUITE    the Debian suite (default: this host's, e.g. bookworm)
Environment: DEBIAN_MIRROR (default: the first URIs of this host's apt sources), PG_IMAGE_CACHE (where the root file
system tarball is kept between runs, default ~/.cache/loginrelay).

Then scripts/test-pg-container.sh runs the PostgreSQL tests in a container of it.
EOF
}

TAG=loginrelay/postgres:local
START_DOCKER=0
IF_MISSING=0
ENGINE_ONLY=0
SUITE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --start-docker) START_DOCKER=1; shift ;;
    --if-missing) IF_MISSING=1; shift ;;
    --engine-only) ENGINE_ONLY=1; shift ;;
    --suite) SUITE="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { echo "build-pg-image: $*" >&2; }

# shellcheck source=lib/docker-engine.sh
DOCKER_ENGINE_LOG_PREFIX=build-pg-image
. "$(dirname "${BASH_SOURCE[0]}")/lib/docker-engine.sh"
engine_answers() { docker_engine_answers; }

start_docker() {
  docker_engine_install
  if engine_answers; then
    return
  fi
  # No bridge and no iptables: nothing on this host's network changes; containers run with --network host. The
  # engine stays up for the caller (test-pg-container.sh stops it by /var/run/docker.pid).
  docker_engine_start /var/log/loginrelay-dockerd.log || exit 1
}

if [ "$START_DOCKER" = 1 ]; then
  start_docker
fi
if ! engine_answers; then
  echo "no Docker engine answers (docker info failed); run with --start-docker" >&2
  exit 1
fi
if [ "$ENGINE_ONLY" = 1 ]; then
  exit 0
fi
if [ "$IF_MISSING" = 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG exists"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "debootstrap needs root" >&2
  exit 1
fi

if [ -z "$SUITE" ]; then
  SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")"
fi
if [ -z "${DEBIAN_MIRROR:-}" ]; then
  DEBIAN_MIRROR="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -E '^(URIs:|deb )' | grep -v security | head -1 \
    | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}' || true)"
fi
[ -n "$DEBIAN_MIRROR" ] || { echo "no Debian mirror found in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null

CACHE="${PG_IMAGE_CACHE:-$HOME/.cache/loginrelay}"
TARBALL="$CACHE/pg-rootfs-$SUITE.tar"
mkdir -p "$CACHE"
if [ ! -s "$TARBALL" ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  ROOT="$WORK/rootfs"
  log "debootstrap $SUITE with postgresql (minbase) into $ROOT"
  debootstrap --variant=minbase --include=postgresql "$SUITE" "$ROOT" "$DEBIAN_MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -30 "$WORK/debootstrap.log" >&2; exit 1; }
  PGBIN="$(ls -d "$ROOT"/usr/lib/postgresql/*/bin | head -1)"
  PGBIN="${PGBIN#"$ROOT"}"
  # Debian's package made a cluster under /var/lib/postgresql/<v>/main; the image makes its own at start.
  rm -rf "$ROOT"/var/lib/postgresql/* "$ROOT"/etc/postgresql/* "$ROOT"/var/cache/apt/archives/*.deb \
    "$ROOT"/var/lib/apt/lists/*
  install -d -o "$(chroot "$ROOT" id -u postgres)" -g "$(chroot "$ROOT" id -g postgres)" -m 0700 \
    "$ROOT/var/lib/postgresql/data"
  install -d -o "$(chroot "$ROOT" id -u postgres)" -g "$(chroot "$ROOT" id -g postgres)" -m 2775 \
    "$ROOT/var/run/postgresql"
  cat >"$ROOT/usr/local/bin/docker-entrypoint.sh" <<EOF
#!/bin/sh
# Like the official image's entrypoint, as far as tests rely on it: a cluster made with POSTGRES_USER and
# POSTGRES_PASSWORD, POSTGRES_DB created by a temporary server, then the server with the given arguments.
set -eu
PATH="$PGBIN:\$PATH"
PGDATA="\${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
if [ ! -s "\$PGDATA/PG_VERSION" ]; then
  pw="\$(mktemp)"
  printf '%s\n' "\${POSTGRES_PASSWORD:-postgres}" >"\$pw"
  initdb -D "\$PGDATA" -U "\${POSTGRES_USER:-postgres}" --pwfile="\$pw" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "\$pw"
  printf "listen_addresses = '*'\n" >>"\$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >>"\$PGDATA/pg_hba.conf"
  pg_ctl -D "\$PGDATA" -w -o "-c listen_addresses='' -p 5432" start
  db="\${POSTGRES_DB:-\${POSTGRES_USER:-postgres}}"
  if [ "\$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -p 5432 -U "\${POSTGRES_USER:-postgres}" -d postgres -c "CREATE DATABASE \\"\$db\\""
  fi
  pg_ctl -D "\$PGDATA" -m fast -w stop
fi
if [ "\${1:-}" = postgres ]; then
  shift
  exec postgres -D "\$PGDATA" "\$@"
fi
exec "\$@"
EOF
  chmod 0755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
  log "packing the root file system ($(du -sh "$ROOT" | cut -f1))"
  tar -C "$ROOT" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
fi

PGVERSION="$(tar -tf "$TARBALL" | grep -oE '^\./usr/lib/postgresql/[0-9]+/bin/postgres$' | head -1 | cut -d/ -f5)"
log "importing $TARBALL as $TAG (PostgreSQL $PGVERSION)"
docker import \
  --change 'USER postgres' \
  --change 'ENV PGDATA=/var/lib/postgresql/data LANG=C.UTF-8' \
  --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  --message "PostgreSQL $PGVERSION from Debian $SUITE packages (scripts/build-pg-image.sh)" \
  "$TARBALL" "$TAG" >/dev/null
log "built $TAG"
docker image ls "$TAG" >&2
