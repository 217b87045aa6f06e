#!/usr/bin/env bash
# Turns the golden image's checked root filesystem into the agent's OCI image root: removes what only a VM needs
# (kernel, initrd, modules, init system, the QEMU guest agent, the per-VM config and restore hook) and adds the
# container's entrypoint and the directories the agent writes as its user. Called by snapshot/build.sh --rootfs-tar with the
# rootfs path, after the self-check passed there; runs no program of the image except dpkg in a chroot.
set -euo pipefail
[ $# -eq 1 ] && [ "$1" != --help ] || { echo "usage: snapshot/container/install.sh ROOTFS" >&2; exit 2; }
r=$1
c=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Purged through dpkg, so the image's package database says what is in it (an image scanner reads that database).
# The container's process 1 is the agent (through the entrypoint): no init, udev, D-Bus or kernel modules.
# Nothing else in the image depends on these; dpkg refuses, and the build fails, if that ever changes.
vm_packages=$(chroot "$r" dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'linux-image-*' initramfs-tools \
  initramfs-tools-core klibc-utils libklibc qemu-guest-agent systemd-sysv systemd libsystemd-shared udev kmod \
  'dbus*' 2>/dev/null | awk '$1 == "ii" {print $2}' || true)
if [ -n "$vm_packages" ]; then
  # Their hooks talk a lot (initramfs removal, no init in a chroot): shown only when the purge fails.
  # shellcheck disable=SC2086
  if ! purge_log=$(chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      dpkg --purge $vm_packages 2>&1)
  then
    printf '%s\n' "$purge_log" >&2
    echo "container/install.sh: dpkg --purge $vm_packages failed" >&2
    exit 1
  fi
fi
rm -rf "$r"/boot/* "$r"/usr/lib/modules/* "$r"/var/lib/initramfs-tools "$r"/etc/initramfs-tools "$r"/var/lib/dbus
# The VM's plumbing: units, fw_cfg config, restore hook, network, the unit's env file (the image's config is its ENV).
rm -rf "$r"/etc/systemd "$r"/etc/modules-load.d/loginrelay.conf "$r"/etc/fstab "$r"/etc/loginrelay/agent.env \
  "$r"/opt/loginrelay/bin/loginrelay-vmconfig "$r"/opt/loginrelay/bin/loginrelay-restored
install -m 0755 "$c/loginrelay-container" "$r/opt/loginrelay/bin/loginrelay-container"
uid=$(chroot "$r" id -u loginrelay)
gid=$(chroot "$r" id -g loginrelay)
# The agent's state (sessions' homes, logs, the codex port lock); one volume for all of it where needed.
install -d -m 0750 -o "$uid" -g "$gid" "$r/var/lib/loginrelay" "$r/var/lib/loginrelay/locks"
# Where the token and extra provider specs are mounted (a Secret and a ConfigMap on Kubernetes).
install -d -m 0755 "$r/run/secrets/loginrelay" "$r/etc/loginrelay/providers"
rm -rf "$r"/var/log/apt/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
