#!/usr/bin/env bash
# Builds the agent as an OCI image from the golden VM image's inputs, without any image registry: build.sh assembles
# and self-checks the same root filesystem (Debian, Java, Node.js, the pinned CLIs, the agent jar), strips the
# VM-only parts, and `docker import` makes the image; the agent's self-check then runs again in a container of it.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/image.sh [--tag NAME] [--cache DIR] [--jar FILE] [--list FILE] [--force]

Builds NAME (default loginrelay/agent:local) in the Docker engine the docker CLI points at (DOCKER_HOST or the
default socket). When none answers, installs Debian's docker.io if missing and starts a dockerd with no bridge and no
iptables for the build, stopped again at the end (the image stays in its data root).
  1. snapshot/build.sh --rootfs-tar: the golden image's root filesystem from the cached layers (DIR, default
     snapshot/.cache, shared with the VM image build), the agent's self-check in a chroot, then
     snapshot/container/install.sh: kernel, initrd, modules and the QEMU guest agent purged, the VM's per-boot
     config removed, the container entrypoint added
  2. docker import with the image's config: user loginrelay, entrypoint /opt/loginrelay/bin/loginrelay-container,
     LOGINRELAY_AGENT_* defaults, the label dev.loginrelay.image-key (a hash of every input)
  3. the agent's self-check in a container of the new image (--network none, as its user); only then is NAME
     moved to it. The report is kept as DIR/image-doctor.json.
A run with unchanged inputs finds NAME with the same key and does nothing (--force rebuilds). Prints the build time
and the image size. Run it as root (debootstrap, chroot); build the agent jar first (mvn -DskipTests package).

  --tag NAME    the image name (default loginrelay/agent:local)
  --cache DIR   build.sh's cache dir (default snapshot/.cache; LOGINRELAY_SNAPSHOT_CACHE)
  --jar FILE    the agent jar (default agent/target/loginrelay-agent.jar)
  --list FILE   the CLI pin list (default snapshot/clis.txt)
  --force       build even when NAME holds the image of these inputs
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
tag=loginrelay/agent:local
cache=${LOGINRELAY_SNAPSHOT_CACHE:-$here/.cache}
jar=$root/agent/target/loginrelay-agent.jar
list=$here/clis.txt
force=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --list) list=$2; shift 2 ;;
    --force) force=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '%s image: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
KEY_LABEL=dev.loginrelay.image-key

[ "$(id -u)" = 0 ] || die "needs root (build.sh: debootstrap, chroot; dockerd); see --help"
# shellcheck source=../scripts/lib/docker-engine.sh
DOCKER_ENGINE_LOG_PREFIX=image
. "$root/scripts/lib/docker-engine.sh"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

t0=$(date +%s)
# Every input: build.sh's (layers, guest/, jar, itself), plus the container's own files and this script.
build_key=$("$here/build.sh" --print-input-key --jar "$jar" --list "$list")
key=$( (echo "$build_key"; cd "$here/container" && find . -type f | LC_ALL=C sort | xargs sha256sum;
  sha256sum "$here/image.sh" | cut -d' ' -f1) | sha256sum | cut -c1-16)

docker_engine_install
if ! docker_engine_answers; then
  trap 'docker_engine_stop "$DOCKER_ENGINE_PID"' EXIT
  trap "exit 130" INT TERM
  docker_engine_start /var/log/loginrelay-dockerd.log || die "no Docker engine"
fi

if ! $force && [ "$(docker image inspect -f "{{index .Config.Labels \"$KEY_LABEL\"}}" "$tag" 2>/dev/null)" = "$key" ]
then
  log "$tag already is the image of inputs $key; nothing to do (--force rebuilds)"
  exit 0
fi

tar=$cache/oci-rootfs.tar
t_build=$(date +%s)
"$here/build.sh" --cache "$cache" --jar "$jar" --list "$list" --rootfs-tar "$tar"
t_import=$(date +%s)
ids=$(tar -xOf "$tar" ./etc/passwd | awk -F: '$1 == "loginrelay" {print $3 ":" $4}')
[ -n "$ids" ] || die "no user loginrelay in the root filesystem"
agent_version=$(unzip -p "$jar" META-INF/MANIFEST.MF 2>/dev/null | awk -F': ' '/^Implementation-Version/ {print $2}' \
  | tr -d '\r')
log "importing the root filesystem ($(du -sm "$tar" | cut -f1) MiB)"
# The user is numeric so that a cluster can enforce runAsNonRoot; the token's path is a mount point (a Secret).
id=$(docker import \
  --change "USER $ids" \
  --change 'WORKDIR /var/lib/loginrelay' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/var/lib/loginrelay' \
  --change 'ENV LOGINRELAY_AGENT_HOST=0.0.0.0 LOGINRELAY_AGENT_PORT=7070' \
  --change 'ENV LOGINRELAY_AGENT_TOKEN_FILE=/run/secrets/loginrelay/agent.token' \
  --change 'ENV LOGINRELAY_AGENT_WORK_DIR=/var/lib/loginrelay LOGINRELAY_AGENT_LOCK_DIR=/var/lib/loginrelay/locks' \
  --change 'ENV LOGINRELAY_AGENT_PROVIDERS_DIR=/etc/loginrelay/providers' \
  --change 'ENV LOGINRELAY_AGENT_CLI_PATH=/opt/loginrelay/clis/node_modules/.bin:/opt/loginrelay/node/bin' \
  --change 'EXPOSE 7070' \
  --change 'ENTRYPOINT ["/opt/loginrelay/bin/loginrelay-container"]' \
  --change "LABEL $KEY_LABEL=$key org.opencontainers.image.title=loginrelay-agent" \
  --change "LABEL org.opencontainers.image.version=${agent_version:-dev}" \
  --message "loginrelay agent ${agent_version:-dev}, golden image inputs $build_key (snapshot/image.sh)" \
  "$tar")
rm -f "$tar"
t_check=$(date +%s)

log "running the agent's self-check in a container of $id"
report=$cache/image-doctor.json
if ! timeout 300 docker run --rm --network none "$id" doctor --work-dir /tmp/doctor >"$report.part"; then
  tr -d ' \n' <"$report.part" | grep -o '"found":false,"error"[^}]*}' >&2 || true
  docker image rm "$id" >/dev/null 2>&1 || true
  die "the agent's self-check failed in the container ($report.part)"
fi
mv "$report.part" "$report"
old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
docker tag "$id" "$tag"
if [ -n "$old" ] && [ "$old" != "$id" ]; then
  docker image rm "$old" >/dev/null 2>&1 || true # still used by a container: it stays, untagged
fi
size=$(docker image inspect -f '{{.Size}}' "$tag")
log "self-check passed in the container: $(tr -d ' \n' <"$report" | grep -o '"pty":{[^}]*}')"
log "built $tag (${id:7:12}, $((size / 1024 / 1024)) MiB, key $key) in $(( $(date +%s) - t0 ))s: rootfs" \
  "$((t_import - t_build))s, import $((t_check - t_import))s, self-check $(( $(date +%s) - t_check ))s"
