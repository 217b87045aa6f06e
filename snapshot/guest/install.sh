#!/usr/bin/env bash
# Installs the guest side (agent unit, per-VM config, restore hook, network) into a root filesystem. Called by
# snapshot/build.sh with the rootfs path; runs no program of the image except useradd/systemctl in a chroot.
set -euo pipefail
[ $# -eq 1 ] && [ "$1" != --help ] || { echo "usage: snapshot/guest/install.sh ROOTFS" >&2; exit 2; }
r=$1
g=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

install -d "$r/etc/loginrelay" "$r/opt/loginrelay/bin" "$r/etc/systemd/network"
install -m 0644 "$g/agent.env" "$r/etc/loginrelay/agent.env"
install -m 0755 "$g/loginrelay-vmconfig" "$g/loginrelay-restored" "$r/opt/loginrelay/bin/"
install -m 0644 "$g/loginrelay-agent.service" "$g/loginrelay-vmconfig.service" "$r/etc/systemd/system/"
install -m 0644 "$g/20-dhcp.network" "$r/etc/systemd/network/"
echo loginrelay-vm > "$r/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 loginrelay-vm\n' > "$r/etc/hosts"
printf '/dev/vda / ext4 defaults,noatime 0 1\n' > "$r/etc/fstab"
# The fw_cfg sysfs driver is a module in Debian's cloud kernel; load it early so the per-VM config can be read.
echo qemu_fw_cfg > "$r/etc/modules-load.d/loginrelay.conf"
# Each clone gets a fresh machine-id at boot (systemd creates it when the file is empty).
: > "$r/etc/machine-id"
chroot "$r" /bin/sh -c 'id loginrelay >/dev/null 2>&1 || useradd --system --home-dir /var/lib/loginrelay \
  --shell /usr/sbin/nologin loginrelay'
chroot "$r" systemctl enable --quiet systemd-networkd.service loginrelay-vmconfig.service loginrelay-agent.service
chroot "$r" systemctl mask --quiet systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer fstrim.timer 2>/dev/null || true
