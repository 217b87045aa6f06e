# shellcheck shell=bash
# VM helpers shared by snapshot/boot.sh and snapshot/prove.sh (sourced; needs qemu-system-x86_64, qemu-img, node).
# One VM = one directory: disk.qcow2 (overlay), qmp.sock, qga.sock, console.log, qemu.pid, port, token (0600).

vm_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_MEM=${LOGINRELAY_VM_MEM_MB:-1536}
VM_CPUS=${LOGINRELAY_VM_CPUS:-2}
vms_started=()

qmpc() { node "$vm_lib/qmp.js" "$@"; }
now_ms() { date +%s%3N; }
vlog() { printf '%s vm: %s\n' "$(date +%T)" "$*" >&2; }

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# KVM only when /dev/kvm opens and a guest actually boots on it: on some hosts /dev/kvm exists but a guest does not
# boot (seen on this machine class); software emulation (tcg) always works, slowly.
vm_accel() { # IMAGE_DIR -> prints kvm or tcg
  local img=$1 probe
  if [ -n "${LOGINRELAY_VM_ACCEL:-}" ]; then echo "$LOGINRELAY_VM_ACCEL"; return; fi
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    probe=$(mktemp -d)
    timeout 30 qemu-system-x86_64 -accel kvm -m 256 -display none -no-reboot -kernel "$img/vmlinuz" \
      -initrd "$img/initrd.img" -append "console=ttyS0 panic=-1 root=/dev/null" -serial "file:$probe/console" \
      >"$probe/err" 2>&1 &
    local pid=$!
    for _ in $(seq 40); do
      grep -q "Run /init as init process" "$probe/console" 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    local ok=false
    grep -q "Run /init as init process" "$probe/console" 2>/dev/null && ok=true
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    rm -rf "$probe"
    if $ok; then echo kvm; return; fi
    vlog "KVM probe did not boot a kernel within 20 s; using software emulation (tcg)"
  fi
  echo tcg
}

# vm_launch DIR IMAGE_DIR ACCEL BACKING [incoming]: starts qemu on a fresh overlay of BACKING, agent port forwarded
# to 127.0.0.1:<DIR/port> only. Cold boots get the per-VM token and settings through fw_cfg (DIR/token, DIR/agent.env,
# DIR/providers.tar when present); with "incoming" the VM waits for a saved state (vm_restore).
vm_launch() {
  local dir=$1 img=$2 accel=$3 backing=$4 incoming=${5:-} port fmt
  mkdir -p "$dir"; chmod 0700 "$dir"   # the token and the monitor sockets
  port=$(free_port); echo "$port" > "$dir/port"
  fmt=raw; [[ $backing == *.qcow2 ]] && fmt=qcow2
  qemu-img create -q -f qcow2 -F "$fmt" -b "$backing" "$dir/disk.qcow2"
  # shellcheck disable=SC2054  # the commas are qemu option syntax
  local args=(-name "loginrelay-$(basename "$dir")" -machine q35 -accel "$accel" -cpu max -smp "$VM_CPUS" -m "$VM_MEM"
    -display none -no-user-config -nodefaults -daemonize -pidfile "$dir/qemu.pid"
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "root=/dev/vda rw console=ttyS0 quiet"
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2"
    -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:7070"
    -device virtio-rng-pci
    -chardev "socket,id=qga0,path=$dir/qga.sock,server=on,wait=off"
    -device virtio-serial -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0
    -qmp "unix:$dir/qmp.sock,server=on,wait=off" -serial "file:$dir/console.log")
  if [ -z "$incoming" ]; then
    [ -f "$dir/token" ] && args+=(-fw_cfg "name=opt/dev.loginrelay/agent.token,file=$dir/token")
    [ -f "$dir/agent.env" ] && args+=(-fw_cfg "name=opt/dev.loginrelay/agent.env,file=$dir/agent.env")
    [ -f "$dir/providers.tar" ] && args+=(-fw_cfg "name=opt/dev.loginrelay/providers.tar,file=$dir/providers.tar")
  else
    args+=(-incoming defer)
  fi
  qemu-system-x86_64 "${args[@]}" 2> "$dir/qemu.err" || { cat "$dir/qemu.err" >&2; return 1; }
  vms_started+=("$dir")
}

vm_kill() { # DIR
  local dir=$1 pid
  [ -f "$dir/qemu.pid" ] || return 0
  pid=$(cat "$dir/qemu.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/qemu.pid"
}

vm_kill_all() {
  local d
  for d in "${vms_started[@]}"; do vm_kill "$d"; done
}

vm_wait_health() { # DIR SECS
  local dir=$1 secs=$2 port t_end
  port=$(cat "$dir/port"); t_end=$(( $(date +%s) + secs ))
  until curl -fsS -m 3 "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    [ -f "$dir/qemu.pid" ] && kill -0 "$(cat "$dir/qemu.pid")" 2>/dev/null || { vlog "qemu exited"; tail -5 "$dir/qemu.err" >&2; return 1; }
    [ "$(date +%s)" -lt "$t_end" ] || { vlog "no /health within ${secs}s; console tail:"; tail -20 "$dir/console.log" >&2; return 1; }
    sleep 0.5
  done
}

# vm_save DIR STATE: pauses the VM and writes its memory and device state to STATE; DIR/disk.qcow2 is then the
# disk that goes with it (use it read-only, as the backing file of each clone's overlay).
vm_save() {
  local dir=$1 state=$2
  qmpc qmp "$dir/qmp.sock" '{"execute":"stop"}' >/dev/null
  qmpc qmp "$dir/qmp.sock" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $state\"}}" >/dev/null
  qmpc migrate-wait "$dir/qmp.sock" 900 >/dev/null
  vm_kill "$dir"
}

# vm_make_golden SRC IMAGE_DIR ACCEL GOLDEN SECS: cold-boots the image in SRC (its token and per-VM files already
# there) until the agent answers, then saves it as the golden snapshot in GOLDEN: state.bin, disk.qcow2, accel and
# the image's manifest.json. Sets cold_ms and save_ms.
vm_make_golden() {
  local src=$1 img=$2 accel=$3 golden=$4 secs=$5 t0
  t0=$(now_ms)
  vm_launch "$src" "$img" "$accel" "$img/rootfs.ext4"
  vm_wait_health "$src" "$secs"
  cold_ms=$(( $(now_ms) - t0 ))
  vlog "cold boot to agent ready: ${cold_ms} ms"
  t0=$(now_ms)
  vm_save "$src" "$golden/state.bin"
  mv "$src/disk.qcow2" "$golden/disk.qcow2"
  echo "$accel" > "$golden/accel"
  # The snapshot goes with this exact image (its disk is an overlay of rootfs.ext4): record which one.
  cp "$img/manifest.json" "$golden/manifest.json"
  save_ms=$(( $(now_ms) - t0 ))
  vlog "snapshot saved in ${save_ms} ms ($(du -h "$golden/state.bin" | cut -f1) state)"
}

# vm_restore DIR STATE: feeds STATE to a VM started with vm_launch ... incoming, resumes it, sets its clock, then
# reseeds its kernel RNG with host entropy and gives it DIR/token (guest: /opt/loginrelay/bin/loginrelay-restored).
# Prints the first kernel UUID the clone produced after the reseed.
vm_restore() {
  local dir=$1 state=$2
  qmpc qmp "$dir/qmp.sock" "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"exec:cat $state\"}}" >/dev/null
  qmpc status-wait "$dir/qmp.sock" 900 >/dev/null
  vlog "$(basename "$dir"): state loaded"
  qmpc qmp "$dir/qmp.sock" '{"execute":"cont"}' >/dev/null
  qmpc qga-wait "$dir/qga.sock" 120
  vlog "$(basename "$dir"): guest agent answers"
  qmpc qga-set-time "$dir/qga.sock"
  vlog "$(basename "$dir"): clock set"
  { head -c 64 /dev/urandom | od -An -tx1 -v | tr -d ' \n'; echo; cat "$dir/token"; echo; } \
    | qmpc qga-exec "$dir/qga.sock" 60 /opt/loginrelay/bin/loginrelay-restored
}

new_token() { # DIR: a fresh per-VM token, 0600
  (umask 077; head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$1/token")
}
