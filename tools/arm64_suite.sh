#!/usr/bin/env bash
# linux-arm64, run for real: Deno's own aarch64 build (npm @deno/linux-arm64-glibc, at the
# version of the deno running here) runs dist/sockhop.js under qemu-user: tools/smoke.sh, then
# the native SSH scenario (tests/arm64_scenario.ts: a real sshd, the remote _proxy on arm64).
#
#   tools/arm64_suite.sh
#
# Needs qemu-aarch64-static, the arm64 C and gcc runtime (libc6-arm64-cross,
# libgcc-s1-arm64-cross), npm (to fetch the build once; kept in .tmp/platforms) and deno.
# Without them it skips, or fails with SOCKHOP_REQUIRE_PEERS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
sysroot=/usr/aarch64-linux-gnu

step() { echo "arm64: $*" >&2; }
suite=arm64
. tools/platform_deno.sh
require_peers "apt-get install qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross" \
  qemu-aarch64-static npm deno "$sysroot/lib/ld-linux-aarch64.so.1" "$sysroot/lib/libgcc_s.so.1"

arm_deno="$(platform_deno linux-arm64-glibc)/deno"
chmod 755 "$arm_deno"
deno run -A tools/bundle.ts >/dev/null

tmp=$(mktemp -d /tmp/arm64-suite.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp dist/sockhop.js "$tmp/sockhop.js"
cat >"$tmp/sockhop" <<WRAPPER
#!/bin/sh
exec qemu-aarch64-static -L $sysroot '$arm_deno' run -A --no-config '$tmp/sockhop.js' "\$@"
WRAPPER
chmod 755 "$tmp/sockhop"
step "$(qemu-aarch64-static -L $sysroot "$arm_deno" --version | head -1)"

step "tools/smoke.sh"
SMOKE_START_S=300 bash tools/smoke.sh "$tmp/sockhop" \
  "$(deno eval 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version)')"

step "the native SSH scenario"
SOCKHOP_BIN="$tmp/sockhop" deno test -A --no-prompt tests/arm64_scenario.ts
step "all passed"
