#!/usr/bin/env bash
# Cold-boots the golden image under qemu, times boot-to-agent-ready, saves a memory snapshot of the booted VM and
# times restore-to-agent-ready of a clone made from it. The VM work is the controller's own qemu code (QemuTool).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/boot.sh [--image DIR] [--work DIR] [--timeout SECS] [--no-restore] [--reuse] [--keep]
                             [--agent-env FILE]

Boots DIR/rootfs.ext4 + vmlinuz + initrd.img (default snapshot/out, made by snapshot/build.sh) with qemu, through
the controller's qemu provider code (java -cp controller/target/loginrelay-controller.jar ...QemuTool boot): KVM
when /dev/kvm works and a probe boots, software emulation (tcg) otherwise (LOGINRELAY_QEMU_ACCEL=tcg|kvm forces
one; LOGINRELAY_QEMU_MEM_MB, _CPUS, _EGRESS, _BIN, _IMG_BIN as for the provider). The agent's port 7070 is forwarded
to 127.0.0.1 only; each VM gets its own token (fw_cfg at cold boot, the guest agent channel after a restore).
Steps, each timed:
  1. cold boot a VM until the agent answers /health            -> cold_boot_ms
  2. pause it and save memory + device state (the golden snapshot: WORK/golden/state.bin + disk.qcow2)
                                                                -> snapshot_save_ms
  3. restore a clone from it, reseed its RNG, re-key its agent,
     until the agent answers an authenticated call with the new token -> restore_ms
Prints one JSON line with the times. Every qemu started here is killed on exit (also on failure).

  --image DIR       the image (default snapshot/out)
  --work DIR        VM dirs and the snapshot (default snapshot/.cache/vms)
  --timeout SECS    per boot or restore (default 900: software emulation is slow)
  --no-restore      stop after step 2
  --reuse           skip steps 1-2 when WORK/golden holds a snapshot of this image (restore only)
  --keep            leave the clone running (prints its dir; kill it with: kill $(cat DIR/qemu.pid))
  --agent-env FILE  LOGINRELAY_AGENT_* overrides given to the cold-booted VM (fw_cfg agent.env)
Needs the controller jar: mvn -B -q -pl agent,controller -am -DskipTests package
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
img=$here/out
work=$here/.cache/vms
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --image) img=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --timeout|--agent-env) args+=("$1" "$2"); shift 2 ;;
    --no-restore|--keep|--reuse) args+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "boot: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
jar=$root/controller/target/loginrelay-controller.jar
[ -f "$jar" ] || { echo "boot: $jar not found (mvn -B -q -pl agent,controller -am -DskipTests package)" >&2; exit 1; }
for c in qemu-system-x86_64 qemu-img java; do
  command -v "$c" >/dev/null || { echo "boot: $c is not installed (apt-get install qemu-system-x86 qemu-utils)" >&2; exit 1; }
done
[ -f "$img/rootfs.ext4" ] || { echo "boot: $img/rootfs.ext4 not found (run snapshot/build.sh)" >&2; exit 1; }
mkdir -p "$work"
exec java -cp "$jar" dev.loginrelay.controller.vm.qemu.QemuTool boot --image "$img" --work "$work" "${args[@]}"
