#!/usr/bin/env bash
# The box side of sneakpack under Node 18, the oldest Node we support (Debian 12 ships 18.19).
#
# Builds dist/ and the box-demo fixture bundles with the current Node (as a publisher would), then
# runs bin/sneakpack with Node 18 from the npm registry (`npx -y -p node@18`) through everything a
# box does: target probe, verify, install into a temp prefix, run the app, list, upgrade,
# rollback, remove, and the refusals (untrusted key, tampered bundle, bundle for another machine).
#
#   scripts/node18-check.sh [--keep]
#
# Environment: PYTHON (the box interpreter, default python3), NODE18 (a Node 18 binary to use
# instead of npx's), SKIP_BUILD=1 (use dist/ as it is), WORK (work folder, default a new temp one).
# Exits non-zero at the first step that fails; prints each step.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

PYTHON="${PYTHON:-python3}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/sneakpack-node18.XXXXXX")}"
mkdir -p "$WORK"
cleanup() { if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'node18-check: FAILED: %s\n' "$*" >&2; exit 1; }
# Run a command, show it and its output, and fail unless it exits with the expected status.
expect_status() {
  local want="$1"; shift
  printf '$ %s\n' "$*"
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  cat "$WORK/out"; cat "$WORK/err" >&2
  [ "$got" = "$want" ] || fail "exit status $got, expected $want: $*"
}
run() { expect_status 0 "$@"; }
# Fail unless the last command's stdout or stderr contains $1 (no `cat | grep -q`: with pipefail, grep
# quitting early makes cat die of SIGPIPE and the check fail on a match).
saw() { grep -qF -- "$1" "$WORK/out" "$WORK/err" || fail "expected output to contain: $1"; }

step "Node 18 from the npm registry"
if [ -z "${NODE18:-}" ]; then
  NODE18="$(npx --prefer-offline -y -p node@18 node -p process.execPath)"
fi
run "$NODE18" --version
case "$(cat "$WORK/out")" in v18.*) ;; *) fail "$NODE18 is not Node 18" ;; esac
SP=("$NODE18" "$ROOT/bin/sneakpack")

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "build dist/ with $(node --version)"
  # Type errors are the typecheck's business; tsc still emits dist/, and the steps below check behaviour.
  npx tsc -p tsconfig.json || printf 'node18-check: warning: tsc reported type errors (above); dist/ was emitted anyway\n' >&2
fi

step "target probe ($PYTHON) under Node 18"
run "${SP[@]}" target probe --python "$PYTHON" -o "$WORK/box.json"
run "$PYTHON" -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["python"]["version"], p["uname_machine"], len(p["tags"]), "tags, best", p["tags"][0])' "$WORK/box.json"
MACHINE="$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["uname_machine"])' "$WORK/box.json")"
if [ "$MACHINE" = x86_64 ]; then OTHER='debian12-armhf:cp311-cp311-manylinux_2_17_armv7l'; else OTHER='debian12-amd64:cp311-cp311-manylinux_2_17_x86_64'; fi

step "fixture bundles for this box, built with $(node --version)"
run npx vite-node test/node18/make-bundles.ts -- --out "$WORK/fixture" --target "$WORK/box.json" --versions 1.0.0,1.1.0 --incompatible "$OTHER"
while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done <"$WORK/out"
: "${pubkey:?}" "${otherkey:?}" "${bundle1:?}" "${bundle2:?}" "${incompatible:?}"
PREFIX="$WORK/prefix"
CUR="$PREFIX/box-demo/current/venv/bin"

step "verify"
run "${SP[@]}" verify "$bundle1" --pubkey "$pubkey"
run "${SP[@]}" verify "$bundle1" --keys "$(dirname "$pubkey")" --json
"$PYTHON" -c 'import json,sys; assert json.load(sys.stdin)["ok"] is True' <"$WORK/out" || fail "verify --json did not say ok"

step "install 1.0.0"
run "${SP[@]}" install "$bundle1" --pubkey "$pubkey" --prefix "$PREFIX" --python "$PYTHON"
run "$CUR/box-demo"
saw "hello box | box-demo 1.0.0"; saw "venv True"; saw "migrated 1.0.0"
run "$CUR/greet"
saw "hello greet"

step "list"
run "${SP[@]}" list --prefix "$PREFIX"
saw "box-demo 1.0.0"

step "upgrade to 1.1.0 (with --compile)"
run "${SP[@]}" install "$bundle2" --pubkey "$pubkey" --prefix "$PREFIX" --python "$PYTHON" --compile
run "$CUR/box-demo"
saw "box-demo 1.1.0"; saw "migrated 1.0.0 1.1.0"

step "refusals leave the prefix unchanged"
snapshot() { (cd "$PREFIX" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort); }
snapshot >"$WORK/before"
expect_status 1 "${SP[@]}" install "$bundle1" --pubkey "$pubkey" --prefix "$PREFIX" --python "$PYTHON" --json
saw DOWNGRADE_REFUSED
expect_status 1 "${SP[@]}" install "$incompatible" --pubkey "$pubkey" --prefix "$PREFIX" --python "$PYTHON" --json
saw BOX_INCOMPATIBLE
expect_status 1 "${SP[@]}" verify "$bundle2" --pubkey "$otherkey" --json
saw UNTRUSTED_KEY
cp "$bundle2" "$WORK/tampered.tar"
"$PYTHON" - "$WORK/tampered.tar" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
i = b.index(b'def main'); b[i] ^= 0x01   # one bit of the app's boxdemo/cli.py
open(p, 'wb').write(b)
EOF
expect_status 1 "${SP[@]}" install "$WORK/tampered.tar" --pubkey "$pubkey" --prefix "$PREFIX" --python "$PYTHON" --allow-downgrade --json
saw HASH_MISMATCH
snapshot >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || { diff "$WORK/before" "$WORK/after" || true; fail "a refused install changed the prefix"; }

step "rollback"
run "${SP[@]}" rollback box-demo --prefix "$PREFIX"
run "$CUR/box-demo"
saw "box-demo 1.0.0"; saw "migrated 1.0.0 1.1.0"
run "${SP[@]}" list --prefix "$PREFIX" --json
saw '"1.0.0"'

step "remove"
run "${SP[@]}" remove box-demo --prefix "$PREFIX"
[ -z "$(ls -A "$PREFIX")" ] || fail "remove left $(ls -A "$PREFIX") in the prefix"

printf '\nnode18-check: all steps passed with Node %s and %s\n' "$("$NODE18" --version)" "$("$PYTHON" --version 2>&1)"
