#!/usr/bin/env bash
# Cold-boots the golden image under qemu, times boot-to-agent-ready, saves a memory snapshot of the booted VM and
# times restore-to-agent-ready of a clone made from it.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/boot.sh [--image DIR] [--work DIR] [--timeout SECS] [--no-restore] [--keep]

Boots DIR/rootfs.ext4 + vmlinuz + initrd.img (default snapshot/out, made by snapshot/build.sh) with qemu: KVM when
/dev/kvm works and a probe boots, software emulation (tcg) otherwise (LOGINRELAY_VM_ACCEL=tcg|kvm forces one).
The agent's port 7070 is forwarded to 127.0.0.1 only; each VM gets its own token (fw_cfg at cold boot, the guest
agent channel after a restore). Steps, each timed:
  1. cold boot a VM until the agent answers /health            -> cold_boot_ms
  2. pause it and save memory + device state (the golden snapshot: WORK/golden/state.bin + disk.qcow2)
  3. restore a clone from it, reseed its RNG, re-key its agent,
     until the agent answers an authenticated call with the new token -> restore_ms
Prints one JSON line with the times. Every qemu started here is killed on exit (also on failure).

  --image DIR     the image (default snapshot/out)
  --work DIR      VM dirs and the snapshot (default snapshot/.cache/vms)
  --timeout SECS  per boot or restore (default 900: software emulation is slow)
  --no-restore    stop after step 2
  --reuse         skip steps 1-2 when WORK/golden holds a snapshot of this image (restore only)
  --keep          leave the clone running (prints its dir; kill it with: kill $(cat DIR/qemu.pid))
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
img=$here/out
work=$here/.cache/vms
timeout=900
restore=true
keep=false
reuse=false
while [ $# -gt 0 ]; do
  case "$1" in
    --image) img=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --no-restore) restore=false; shift ;;
    --keep) keep=true; shift ;;
    --reuse) reuse=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "boot: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib/vm.sh
. "$here/lib/vm.sh"
for c in qemu-system-x86_64 qemu-img node curl; do
  command -v "$c" >/dev/null || { echo "boot: $c is not installed (apt-get install qemu-system-x86 qemu-utils)" >&2; exit 1; }
done
[ -f "$img/rootfs.ext4" ] || { echo "boot: $img/rootfs.ext4 not found (run snapshot/build.sh)" >&2; exit 1; }
img=$(cd "$img" && pwd)
mkdir -p "$work"; work=$(cd "$work" && pwd)

on_exit() {
  if $keep && [ -n "${clone:-}" ]; then
    vms_started=("${vms_started[@]/$clone}")
  fi
  vm_kill_all
  if ! $keep && [ -n "${clone:-}" ]; then rm -rf "$clone"; fi
}
trap on_exit EXIT
trap "exit 130" INT TERM   # run the EXIT trap on a signal too

if ! $reuse || [ ! -f "$work/golden/state.bin" ]; then
  accel=$(vm_accel "$img")
  vlog "accelerator: $accel"
fi

cold_ms=null
save_ms=null
# Reused only when it was made from this very image (its disk is an overlay of rootfs.ext4).
if $reuse && [ -f "$work/golden/state.bin" ] && [ -f "$work/golden/disk.qcow2" ] \
   && cmp -s "$work/golden/manifest.json" "$img/manifest.json"; then
  accel=$(cat "$work/golden/accel")
  vlog "reusing the snapshot in $work/golden ($accel)"
else
# 1. cold boot, 2. snapshot: the disk overlay and the memory state together are the golden snapshot
cold=$work/golden-src
rm -rf "$cold" "$work/golden"; mkdir -p "$cold" "$work/golden"
new_token "$cold"
vm_make_golden "$cold" "$img" "$accel" "$work/golden" "$timeout"
rm -rf "$cold"
fi

restore_ms=null
if $restore; then
  # 3. restore a clone
  clone=$work/clone-1
  rm -rf "$clone"; mkdir -p "$clone"; new_token "$clone"
  t0=$(now_ms)
  vm_launch "$clone" "$img" "$accel" "$work/golden/disk.qcow2" incoming
  uuid=$(vm_restore "$clone" "$work/golden/state.bin")
  vlog "clone-1: reseeded and re-keyed"
  vm_wait_health "$clone" "$timeout"
  vlog "clone-1: /health answers"
  curl -fsS -m 10 -o /dev/null -H "Authorization: Bearer $(cat "$clone/token")" \
    "http://127.0.0.1:$(cat "$clone/port")/api/v1/providers"
  restore_ms=$(( $(now_ms) - t0 ))
  vlog "restore to agent ready (re-keyed, reseeded; first uuid $uuid): ${restore_ms} ms"
  $keep && vlog "clone kept running: $clone (port $(cat "$clone/port"))"
fi
printf '{"accel":"%s","cold_boot_ms":%s,"snapshot_save_ms":%s,"restore_ms":%s}\n' "$accel" "$cold_ms" "$save_ms" "$restore_ms"
