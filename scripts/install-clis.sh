#!/usr/bin/env bash
# Installs the pinned AI coding CLIs listed in snapshot/clis.txt into a local npm prefix.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/install-clis.sh [--prefix DIR] [--list FILE] [--only NAME[,NAME...]]

Installs the CLIs pinned in snapshot/clis.txt (npm packages) into DIR (default: .clis at the repository root),
so that DIR/node_modules/.bin holds codex, claude, gemini and copilot. Re-running with unchanged pins does nothing.
Prints the bin directory on its last line. The tests, scripts/run.sh and the golden snapshot use this script.

  --prefix DIR   install into DIR (default: $LOGINRELAY_CLIS_DIR or <repo>/.clis)
  --list FILE    the pin list (default: <repo>/snapshot/clis.txt)
  --only NAMES   install only these providers (comma-separated)
  --check        install nothing; exit 1 when an installed version differs from the pin
USAGE
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${LOGINRELAY_CLIS_DIR:-$root/.clis}
list=$root/snapshot/clis.txt
only=""
check=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --list) list=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --check) check=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-clis: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

command -v npm >/dev/null || { echo "install-clis: npm is not installed (Node.js 20+ is needed)" >&2; exit 1; }
[ -f "$list" ] || { echo "install-clis: pin list $list not found" >&2; exit 1; }
mkdir -p "$prefix"

wanted=()
mismatch=0
while read -r name pkg version _bin; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  installed=""
  manifest="$prefix/node_modules/$pkg/package.json"
  if [ -f "$manifest" ]; then
    installed=$(node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest")
  fi
  if [ "$installed" = "$version" ]; then
    echo "install-clis: $name $pkg@$version already installed" >&2
  else
    echo "install-clis: $name $pkg@$version needed (installed: ${installed:-none})" >&2
    wanted+=("$pkg@$version")
    mismatch=1
  fi
done < "$list"

if $check; then
  exit "$mismatch"
fi
if [ ${#wanted[@]} -gt 0 ]; then
  # --save-exact records the pins in the prefix's package.json, so a later partial install prunes nothing.
  npm install --prefix "$prefix" --no-audit --no-fund --save-exact --loglevel=error "${wanted[@]}" >&2
fi
echo "$prefix/node_modules/.bin"
