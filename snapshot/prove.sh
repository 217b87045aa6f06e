#!/usr/bin/env bash
# End-to-end proof of the golden snapshot: build the image, cold-boot it, snapshot it, restore two clones, run one
# fake login to ready in each, and show that the clones' random values differ. Prints the times. The VM work is the
# controller's own qemu code (QemuTool prove).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/prove.sh [--work DIR] [--timeout SECS] [--jar FILE] [--image DIR]

  1. snapshot/build.sh (cached layers are reused; the manifest keeps the last full build's duration), unless
     --image names an image already built
  2. cold-boot the image with a per-VM token and one extra provider, "fakeloop" (the agent's test fake CLI
     agent/src/test/resources/fakecli/fake-loopback.js: a codex-like browser login on a loopback port), given to the
     VM through fw_cfg like any per-VM setting; time until the agent answers /health; save the memory snapshot
  3. twice: restore a clone (new token, RNG reseeded from host entropy), time until its agent answers with the new
     token, start a fakeloop login, relay the browser callback and wait for "ready"; record the OAuth state in the
     auth URL and the clone's first kernel UUID after the reseed; destroy the clone
  4. fail unless both logins reached ready and the two clones' states and UUIDs differ
Steps 2-4 run in the controller's qemu provider code (java -cp controller/target/loginrelay-controller.jar
...QemuTool prove; LOGINRELAY_QEMU_ACCEL, _MEM_MB, _CPUS, _EGRESS, _BIN, _IMG_BIN as for the provider).
Every qemu started here is killed on exit, also on failure.

  --work DIR      VM dirs and the snapshot (default snapshot/.cache/prove)
  --timeout SECS  per boot or restore (default 900)
  --jar FILE      the agent jar for build.sh (default agent/target/loginrelay-agent.jar)
  --image DIR     use this image (build.sh's output) and do not run build.sh (build_ms is then null)
Needs the jars: mvn -B -q -pl agent,controller -am -DskipTests package
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
work=$here/.cache/prove
timeout=900
jar=$root/agent/target/loginrelay-agent.jar
img=
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --image) img=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "prove: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
tool=$root/controller/target/loginrelay-controller.jar
[ -f "$tool" ] || { echo "prove: $tool not found (mvn -B -q -pl agent,controller -am -DskipTests package)" >&2; exit 1; }

build=()
if [ -z "$img" ]; then
  img=$here/out
  t0=$(date +%s%3N)
  "$here/build.sh" --jar "$jar"
  build=(--build-ms "$(( $(date +%s%3N) - t0 ))")
fi
[ -f "$img/rootfs.ext4" ] || { echo "prove: $img/rootfs.ext4 not found (run snapshot/build.sh)" >&2; exit 1; }
mkdir -p "$work"
exec java -cp "$tool" dev.loginrelay.controller.vm.qemu.QemuTool prove --image "$img" --work "$work" \
  --timeout "$timeout" --fake-cli "$root/agent/src/test/resources/fakecli/fake-loopback.js" "${build[@]}"
