#!/usr/bin/env bash
# The box side on a real armhf Debian 12: a debootstrapped armhf chroot run through
# qemu-user-static, with Debian's own Node 18 and Python 3.11 — the shape of our users' boxes.
# See docs/ARM.md. Not part of CI (the chroot takes minutes to build; everything runs emulated).
#
#   sudo scripts/arm-chroot.sh [DIR]        # DIR default: /var/tmp/sneakpack-armhf
#
# 1. installs qemu-user-static, debootstrap and binfmt-support if missing, and makes sure the
#    kernel runs ARM binaries through qemu (binfmt_misc);
# 2. debootstraps bookworm armhf (minbase + python3, python3-venv, nodejs) into DIR/root, unless
#    a finished one is there already (it is reused: delete DIR to start over);
# 3. on this machine, with the current Node: builds dist/, collects the production node_modules,
#    and builds the box-demo fixture bundles (test/node18/fixture.ts) for the target
#    $ARM_TARGET (default the preset debian12-armhf) plus one for x86_64 only;
# 4. inside the chroot, with Debian's node: target probe (tags compared with the preset's and,
#    when present, the captured /work/shared/targets/debian12-armv7l-cp311.json), verify,
#    install --prefix /srv/sneakpack, run the app, list, upgrade, refusals (downgrade, x86_64
#    bundle, tampered bundle), rollback, remove.
#
# Environment: MIRROR (default: the Debian mirror apt uses here), ARM_TARGET, SKIP_BUILD=1,
# CAPTURED (the captured profile to compare tags with). Prints each step with its time; exits
# non-zero at the first failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-/var/tmp/sneakpack-armhf}"
CHROOT="$DIR/root"
ARM_TARGET="${ARM_TARGET:-debian12-armhf}"
CAPTURED="${CAPTURED:-$ROOT/../shared/targets/debian12-armv7l-cp311.json}"
[ -f "$CAPTURED" ] || CAPTURED=/work/shared/targets/debian12-armv7l-cp311.json
RUN=/root/sneakpack-run           # inside the chroot
APPHOME=/opt/sneakpack            # sneakpack itself, inside the chroot
PREFIX=/srv/sneakpack             # the install prefix, inside the chroot
HOSTWORK="$DIR/host"              # bundles and staging, on this machine

T0=$(date +%s)
STEP_T=$T0
step() {
  local now; now=$(date +%s)
  printf '\n== [%4ds, +%ds] %s\n' "$((now - T0))" "$((now - STEP_T))" "$*"
  STEP_T=$now
}
fail() { printf 'arm-chroot: FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot and mount need it)"

OUT="$(mktemp -d)"
# Run a command (on this machine), show it and its output, fail unless its status is $1.
expect_status() {
  local want="$1"; shift
  printf '$ %s\n' "$*"
  set +e
  "$@" >"$OUT/out" 2>"$OUT/err"
  local got=$?
  set -e
  cat "$OUT/out"; cat "$OUT/err" >&2
  [ "$got" = "$want" ] || fail "exit status $got, expected $want: $*"
}
run() { expect_status 0 "$@"; }
# Fail unless the last command's stdout or stderr contains $1 (no `cat | grep -q`: with pipefail, grep
# quitting early makes cat die of SIGPIPE and the check fail on a match).
saw() { grep -qF -- "$1" "$OUT/out" "$OUT/err" || fail "expected output to contain: $1"; }
# In the chroot, with a clean environment as a login on the box would have.
box() { env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 chroot "$CHROOT" "$@"; }
SP=(node "$APPHOME/bin/sneakpack")

mounted=0
cleanup() {
  if [ "$mounted" = 1 ]; then umount "$CHROOT/proc" || umount -l "$CHROOT/proc" || true; fi
  rm -rf "$OUT"
}
trap cleanup EXIT

step "host: qemu-user-static, debootstrap, binfmt-support"
need=()
for pkg in qemu-user-static debootstrap binfmt-support; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ "${#need[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
# Containers often have binfmt_misc unmounted, and binfmt-support's service does not start there.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; fi
[ -e /proc/sys/fs/binfmt_misc/qemu-arm ] || update-binfmts --enable qemu-arm
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-arm || fail "binfmt_misc qemu-arm is not enabled"
printf 'binfmt qemu-arm: %s\n' "$(tr '\n' ' ' </proc/sys/fs/binfmt_misc/qemu-arm)"

if [ -z "${MIRROR:-}" ]; then
  MIRROR="$(sed -n 's/^URIs: *\(\S*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  [ -n "$MIRROR" ] || MIRROR="$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

if [ -f "$DIR/.debootstrap-done" ] && [ -x "$CHROOT/usr/bin/node" ]; then
  step "chroot: reusing $CHROOT"
else
  step "chroot: debootstrap --arch=armhf bookworm from $MIRROR (several minutes under emulation)"
  rm -rf "$CHROOT"; mkdir -p "$DIR"
  debootstrap --arch=armhf --variant=minbase --include=python3,python3-venv,nodejs bookworm "$CHROOT" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 ||
    { tail -30 "$DIR/debootstrap.log"; fail "debootstrap (log: $DIR/debootstrap.log)"; }
  date -u +%FT%TZ >"$DIR/.debootstrap-done"
fi
mount -t proc proc "$CHROOT/proc"; mounted=1

step "box: what it is"
run box uname -m;              saw armv7l
run box node --version;        grep -q '^v18\.' "$OUT/out" || fail "Debian's node is not 18"
run box python3 --version;     saw 'Python 3.11.'
run box sh -c 'ldd --version | head -1; cat /etc/debian_version; dpkg-query -W nodejs python3 python3-venv'

step "host: dist/, production node_modules, fixture bundles for $ARM_TARGET (Node $(node --version))"
cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  # Type errors are the typecheck's business; tsc still emits dist/, and the steps below check behaviour.
  npx tsc -p tsconfig.json || printf 'arm-chroot: warning: tsc reported type errors (above); dist/ was emitted anyway\n' >&2
fi
[ -f dist/cli.js ] || fail "dist/cli.js is missing"
rm -rf "$HOSTWORK"; mkdir -p "$HOSTWORK/app/node_modules"
cp -r bin dist package.json "$HOSTWORK/app/"
# Exactly the production dependency tree, as `npm ci --omit=dev` would lay it out (all pure JS).
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 >"$HOSTWORK/prod-deps"
while read -r dep; do
  rel="${dep#"$ROOT/node_modules/"}"
  mkdir -p "$HOSTWORK/app/node_modules/$(dirname "$rel")"
  [ -e "$HOSTWORK/app/node_modules/$rel" ] || cp -r "$dep" "$HOSTWORK/app/node_modules/$rel"
done <"$HOSTWORK/prod-deps"
printf 'production packages copied: %s (%s)\n' "$(wc -l <"$HOSTWORK/prod-deps")" "$(du -sh "$HOSTWORK/app/node_modules" | cut -f1)"
run npx vite-node test/node18/make-bundles.ts -- --out "$HOSTWORK/fixture" --target "$ARM_TARGET" --versions 1.0.0,1.1.0 \
  --incompatible 'debian12-amd64:cp311-cp311-manylinux_2_17_x86_64'
while IFS='=' read -r k v; do printf -v "$k" '%s' "$v"; done <"$OUT/out"
: "${pubkey:?}" "${otherkey:?}" "${bundle1:?}" "${bundle2:?}" "${incompatible:?}"
python3 - "$bundle2" "$HOSTWORK/tampered.tar" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'def main'); b[i] ^= 0x01   # one bit of the app's boxdemo/cli.py
open(sys.argv[2], 'wb').write(b)
EOF
run node bin/sneakpack target show "$ARM_TARGET" --json
cp "$OUT/out" "$HOSTWORK/preset.json"

step "box: copy in sneakpack ($APPHOME), the bundles and the key ($RUN)"
rm -rf "$CHROOT$APPHOME" "$CHROOT$RUN" "$CHROOT$PREFIX"
mkdir -p "$CHROOT$RUN/keys" "$CHROOT$RUN/other-keys"
cp -r "$HOSTWORK/app" "$CHROOT$APPHOME"
cp "$bundle1" "$bundle2" "$incompatible" "$HOSTWORK/tampered.tar" "$CHROOT$RUN/"
cp "$pubkey" "$CHROOT$RUN/keys/"; cp "$otherkey" "$CHROOT$RUN/other-keys/"
B1="$RUN/$(basename "$bundle1")"; B2="$RUN/$(basename "$bundle2")"; BX="$RUN/$(basename "$incompatible")"
CUR="$PREFIX/box-demo/current/venv/bin"

step "box: sneakpack --version, target probe"
run box "${SP[@]}" --version
run box "${SP[@]}" target probe -o "$RUN/box.json"
cp "$CHROOT$RUN/box.json" "$HOSTWORK/box.json"
run python3 - "$HOSTWORK/box.json" "$HOSTWORK/preset.json" "$CAPTURED" <<'EOF'
import json, os, sys
box = json.load(open(sys.argv[1]))
print("probed:", box["python"]["version"], box["python"]["libc"], box["uname_machine"], box["python"]["soabi"], len(box["tags"]), "tags, best", box["tags"][0])
bad = False
for label, path in (("preset", sys.argv[2]), ("captured", sys.argv[3])):
    if not os.path.exists(path):
        print(f"{label}: {path} not found, not compared"); continue
    other = json.load(open(path))["tags"]
    same = other == box["tags"]
    print(f"{label} ({os.path.basename(path)}): {len(other)} tags, identical to the probe: {same}")
    if not same:
        bad = True
        a, b = set(box["tags"]), set(other)
        print("  only probed:", sorted(a - b)[:10], " only", label + ":", sorted(b - a)[:10])
        for i, (x, y) in enumerate(zip(box["tags"], other)):
            if x != y: print(f"  first difference at {i}: {x} vs {y}"); break
sys.exit(1 if bad else 0)
EOF

step "box: verify"
run box "${SP[@]}" verify "$B1" --keys "$RUN/keys"
saw "OK box-demo 1.0.0"
expect_status 1 box "${SP[@]}" verify "$B1" --keys "$RUN/other-keys" --json
saw UNTRUSTED_KEY

step "box: install 1.0.0 into $PREFIX"
run box "${SP[@]}" install "$B1" --keys "$RUN/keys" --prefix "$PREFIX"
run box "$CUR/box-demo"
saw "hello box | box-demo 1.0.0 | python 3.11.2 | machine armv7l | venv True | migrated 1.0.0"
run box "$CUR/greet";          saw "hello greet"
run box "$CUR/python" -c 'import sys, sysconfig, greetlib; print(sys.version.split()[0], sysconfig.get_platform(), greetlib.__file__)'

step "box: list"
run box "${SP[@]}" list --prefix "$PREFIX"
saw "box-demo 1.0.0"

step "box: upgrade to 1.1.0 (--compile)"
run box "${SP[@]}" install "$B2" --keys "$RUN/keys" --prefix "$PREFIX" --compile
run box "$CUR/box-demo"
saw "box-demo 1.1.0"; saw "migrated 1.0.0 1.1.0"

step "box: refusals leave the prefix unchanged"
snapshot() { (cd "$CHROOT$PREFIX" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort); }
snapshot >"$OUT/before"
expect_status 1 box "${SP[@]}" install "$B1" --keys "$RUN/keys" --prefix "$PREFIX" --json
saw DOWNGRADE_REFUSED
expect_status 1 box "${SP[@]}" install "$BX" --keys "$RUN/keys" --prefix "$PREFIX" --json
saw BOX_INCOMPATIBLE; saw 'greetlib-1.0-cp311-cp311-manylinux_2_17_x86_64.whl'
expect_status 1 box "${SP[@]}" install "$RUN/tampered.tar" --keys "$RUN/keys" --prefix "$PREFIX" --allow-downgrade --json
saw HASH_MISMATCH
snapshot >"$OUT/after"
cmp -s "$OUT/before" "$OUT/after" || { diff "$OUT/before" "$OUT/after" || true; fail "a refused install changed the prefix"; }

step "box: rollback"
run box "${SP[@]}" rollback box-demo --prefix "$PREFIX"
run box "$CUR/box-demo"
saw "box-demo 1.0.0"; saw "migrated 1.0.0 1.1.0"

step "box: remove"
run box "${SP[@]}" remove box-demo --prefix "$PREFIX"
[ -z "$(ls -A "$CHROOT$PREFIX")" ] || fail "remove left $(ls -A "$CHROOT$PREFIX") in $PREFIX"

step "all steps passed on $(box uname -m) with Node $(box node --version) and $(box python3 --version)"
