#!/usr/bin/env bash
# Turns the golden image's checked root filesystem into the agent's OCI image root: removes what only a VM needs
# (kernel, initrd, modules, the QEMU guest agent, the per-VM config and restore hook) and adds the container's
# entrypoint and the directories the agent writes as its user. Called by snapshot/build.sh --rootfs-tar with the
# rootfs path, after the self-check passed there; runs no program of the image except dpkg in a chroot.
set -euo pipefail
[ $# -eq 1 ] && [ "$1" != --help ] || { echo "usage: snapshot/container/install.sh ROOTFS" >&2; exit 2; }
r=$1
c=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Purged through dpkg, so the image's package database says what is in it (an image scanner reads that database).
# Their maintainer scripts would run the initramfs and kernel hooks, which have nothing to do in a container.
vm_packages=$(chroot "$r" dpkg-query -W -f '${Package}\n' 'linux-image-*' initramfs-tools initramfs-tools-core \
  qemu-guest-agent klibc-utils 2>/dev/null || true)
if [ -n "$vm_packages" ]; then
  # shellcheck disable=SC2086
  chroot "$r" env DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends --no-triggers $vm_packages >/dev/null
fi
rm -rf "$r"/boot/* "$r"/usr/lib/modules/* "$r"/var/lib/initramfs-tools "$r"/etc/initramfs-tools
# The VM's per-boot plumbing (fw_cfg config, restore hook, networkd); the agent's unit stays as documentation only.
rm -f "$r"/opt/loginrelay/bin/loginrelay-vmconfig "$r"/opt/loginrelay/bin/loginrelay-restored \
  "$r"/etc/systemd/system/loginrelay-vmconfig.service "$r"/etc/systemd/network/20-dhcp.network \
  "$r"/etc/modules-load.d/loginrelay.conf "$r"/etc/fstab
install -m 0755 "$c/loginrelay-container" "$r/opt/loginrelay/bin/loginrelay-container"
uid=$(chroot "$r" id -u loginrelay)
gid=$(chroot "$r" id -g loginrelay)
# The agent's state (sessions' homes, logs, the codex port lock); one volume for all of it where needed.
install -d -m 0750 -o "$uid" -g "$gid" "$r/var/lib/loginrelay" "$r/var/lib/loginrelay/locks"
# Where the token and extra provider specs are mounted (a Secret and a ConfigMap on Kubernetes).
install -d -m 0755 "$r/run/secrets/loginrelay" "$r/etc/loginrelay/providers"
rm -rf "$r"/var/log/apt/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
