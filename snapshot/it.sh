#!/usr/bin/env bash
# The golden image end to end, as CI runs it: build the image, then the qemu VM provider's integration test through
# the controller (QemuProviderIT: golden snapshot made by the provider, the real codex device login in a restored
# clone, the guest's egress limits, a controller restart, a cold boot). Needs root.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/it.sh [--out DIR]

  1. installs the host packages the image and qemu need when missing (apt: debootstrap e2fsprogs qemu-system-x86
     qemu-utils)
  2. snapshot/build.sh --out DIR (default snapshot/out; cached layers are reused)
  3. mvn -Pvm verify on the controller: QemuProviderIT against DIR (software emulation unless KVM works; about
     5-10 minutes on a 2-core machine)
Run scripts/test.sh (or mvn package) first: the image takes agent/target/loginrelay-agent.jar, the test takes the
pinned CLIs' list from snapshot/clis.txt.
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=$here/out
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "it: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "it: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }

missing=()
for pair in debootstrap:debootstrap mkfs.ext4:e2fsprogs qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "it: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

t0=$(date +%s)
[ -f "$root/agent/target/loginrelay-agent.jar" ] || (cd "$root" && mvn -B -q -ntp -pl agent -DskipTests package)
"$here/build.sh" --out "$out"
t1=$(date +%s)
echo "it: image ready in $((t1 - t0)) s; running QemuProviderIT" >&2
cd "$root"
mvn -B -ntp -Pvm -pl controller -am verify -Dloginrelay.qemu.image="$(cd "$out" && pwd)"
echo "it: QemuProviderIT passed in $(( $(date +%s) - t1 )) s" >&2
