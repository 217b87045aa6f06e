#!/usr/bin/env bash
# End-to-end proof of the golden snapshot: build the image, cold-boot it, snapshot it, restore two clones, run one
# fake login to ready in each, and show that the clones' random values differ. Prints the times.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo snapshot/prove.sh [--work DIR] [--timeout SECS] [--jar FILE]

  1. snapshot/build.sh (cached layers are reused; the manifest keeps the last full build's duration)
  2. cold-boot the image with a per-VM token and one extra provider, "fakeloop" (the agent's test fake CLI
     agent/src/test/resources/fakecli/fake-loopback.js: a codex-like browser login on a loopback port), given to the
     VM through fw_cfg like any per-VM setting; time until the agent answers /health; save the memory snapshot
  3. twice: restore a clone (new token, RNG reseeded from host entropy), time until its agent answers with the new
     token, start a fakeloop login, relay the browser callback and wait for "ready"; record the OAuth state in the
     auth URL and the clone's first kernel UUID after the reseed; destroy the clone
  4. fail unless both logins reached ready and the two clones' states and UUIDs differ
Every qemu started here is killed on exit, also on failure.

  --work DIR      VM dirs and the snapshot (default snapshot/.cache/prove)
  --timeout SECS  per boot or restore (default 900)
  --jar FILE      the agent jar for build.sh (default agent/target/loginrelay-agent.jar)
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
work=$here/.cache/prove
timeout=900
jar=$root/agent/target/loginrelay-agent.jar
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "prove: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=lib/vm.sh
. "$here/lib/vm.sh"
img=$here/out
trap vm_kill_all EXIT
trap "exit 130" INT TERM   # run the EXIT trap on a signal too
plog() { printf '%s prove: %s\n' "$(date +%T)" "$*" >&2; }
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];
  process.stdout.write(v===undefined||v===null?"":typeof v==="object"?JSON.stringify(v):String(v))})' "$1"; }

# 1. build
t0=$(now_ms)
"$here/build.sh" --jar "$jar"
build_ms=$(( $(now_ms) - t0 ))
full_build_s=$(jget buildDurationSeconds < "$img/manifest.json")
plog "build.sh: ${build_ms} ms now; the image's full build took ${full_build_s} s"

# 2. cold boot with the fake provider, then the snapshot
rm -rf "$work"; mkdir -p "$work/golden" "$work/src/bundle"
work=$(cd "$work" && pwd)
cp "$root/agent/src/test/resources/fakecli/fake-loopback.js" "$work/src/bundle/"
fake=/run/loginrelay/providers/fake-loopback.js
cat > "$work/src/bundle/fakeloop.json" <<JSON
{"name": "fakeloop", "extends": "codex", "displayName": "Fake loopback CLI (prove.sh)",
 "command": ["node", "$fake", "login"], "env": {"CODEX_HOME": "\${HOME}/.codex"},
 "detect": {"authUrl": "https://auth\\\\.example\\\\.test/oauth/authorize\\\\?[A-Za-z0-9._~%&=+\\\\-]+"},
 "success": {"credentialFiles": [".fakecli/auth.json"], "verifyCommand": ["node", "$fake", "login", "status"],
             "identity": {"source": "file", "file": ".fakecli/auth.json"}},
 "exclusive": "fakeloop-port", "versionCommand": ["node", "$fake", "--version"]}
JSON
tar -C "$work/src/bundle" -cf "$work/src/providers.tar" .
new_token "$work/src"
accel=$(vm_accel "$img")
plog "accelerator: $accel"
vm_make_golden "$work/src" "$img" "$accel" "$work/golden" "$timeout"

# 3. two clones, one login each
api() { # DIR METHOD PATH [BODY]
  local dir=$1 m=$2 p=$3 body=${4:-}
  curl -fsS -m 60 -X "$m" -H "Authorization: Bearer $(cat "$dir/token")" -H 'Content-Type: application/json' \
    ${body:+-d "$body"} "http://127.0.0.1:$(cat "$dir/port")$p"
}
await_state() { # DIR RUN STATE SECS -> prints the run view
  local dir=$1 run=$2 want=$3 t_end=$(( $(date +%s) + $4 )) view st
  while :; do
    view=$(api "$dir" GET "/api/v1/runs/$run"); st=$(jget state <<<"$view")
    [ "$st" = "$want" ] && { echo "$view"; return 0; }
    case "$st" in failed|timeout|cancelled) plog "run $run ended $st: $view"; return 1 ;; esac
    [ "$(date +%s)" -lt "$t_end" ] || { plog "run $run still $st after $4 s"; return 1; }
    sleep 0.5
  done
}
declare -A restore_ms state uuid login_ms
for c in a b; do
  dir=$work/clone-$c
  mkdir -p "$dir"; new_token "$dir"
  t0=$(now_ms)
  vm_launch "$dir" "$img" "$accel" "$work/golden/disk.qcow2" incoming
  uuid[$c]=$(vm_restore "$dir" "$work/golden/state.bin")
  vm_wait_health "$dir" "$timeout"
  api "$dir" GET /api/v1/providers >/dev/null   # the clone's own token works: it was re-keyed
  restore_ms[$c]=$(( $(now_ms) - t0 ))
  plog "clone $c: restore to agent ready ${restore_ms[$c]} ms"
  t0=$(now_ms)
  api "$dir" POST /api/v1/runs "{\"sessionId\":\"prove-$c\",\"provider\":\"fakeloop\"}" >/dev/null
  auth=$(await_state "$dir" "prove-$c" awaiting_user 300 | jget authUrl)
  state[$c]=$(node -e 'process.stdout.write(new URL(process.argv[1]).searchParams.get("state"))' "$auth")
  cb=$(node -e 'const u=new URL(process.argv[1]); const r=new URL(u.searchParams.get("redirect_uri"));
    process.stdout.write(`http://localhost:${r.port}${r.pathname}?code=good-code&state=${u.searchParams.get("state")}`)' "$auth")
  api "$dir" POST "/api/v1/runs/prove-$c/callback" "{\"url\":\"$cb\"}" >/dev/null
  await_state "$dir" "prove-$c" ready 300 >/dev/null
  login_ms[$c]=$(( $(now_ms) - t0 ))
  plog "clone $c: fakeloop login ready in ${login_ms[$c]} ms (state ${state[$c]:0:8}..., uuid ${uuid[$c]})"
  vm_kill "$dir"; rm -rf "$dir"
done

# 4. verdict
ok=true
[ "${state[a]}" != "${state[b]}" ] || { plog "FAIL: both clones minted the same OAuth state"; ok=false; }
[ "${uuid[a]}" != "${uuid[b]}" ] || { plog "FAIL: both clones produced the same kernel UUID"; ok=false; }
printf '{"accel":"%s","build_ms":%s,"full_build_s":%s,"cold_boot_to_agent_ready_ms":%s,"snapshot_save_ms":%s,' \
  "$accel" "$build_ms" "$full_build_s" "$cold_ms" "$save_ms"
printf '"restore_to_agent_ready_ms":[%s,%s],"login_to_ready_ms":[%s,%s],' \
  "${restore_ms[a]}" "${restore_ms[b]}" "${login_ms[a]}" "${login_ms[b]}"
printf '"clone_states_differ":%s,"clone_uuids":["%s","%s"]}\n' \
  "$([ "${state[a]}" != "${state[b]}" ] && echo true || echo false)" "${uuid[a]}" "${uuid[b]}"
$ok
