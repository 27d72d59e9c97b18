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
missing=()
for bin in qemu-aarch64-static npm deno; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
for lib in ld-linux-aarch64.so.1 libgcc_s.so.1; do
  [ -e "$sysroot/lib/$lib" ] || missing+=("$sysroot/lib/$lib")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${SOCKHOP_REQUIRE_PEERS:-}" = 1 ]; then
    echo "arm64: FAILED: missing ${missing[*]}" >&2
    exit 1
  fi
  step "skipped: missing ${missing[*]} (apt-get install qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross)"
  exit 0
fi

version=$(deno eval 'console.log(Deno.version.deno)')
cache="$root/.tmp/platforms"
arm_deno="$cache/linux-arm64-glibc-$version/deno"
if [ ! -x "$arm_deno" ]; then
  step "fetching @deno/linux-arm64-glibc@$version"
  mkdir -p "$cache"
  (
    cd "$cache"
    rm -rf package "linux-arm64-glibc-$version"
    npm pack --silent "@deno/linux-arm64-glibc@$version" >/dev/null
    tar xzf "deno-linux-arm64-glibc-$version.tgz"
    mv package "linux-arm64-glibc-$version"
    rm "deno-linux-arm64-glibc-$version.tgz"
    chmod 755 "linux-arm64-glibc-$version/deno"
  )
fi
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
