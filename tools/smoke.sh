#!/usr/bin/env bash
# Smoke test of a sockhop binary as shipped, with nothing but the binary and the platform's own
# tools: bash (Git Bash on Windows), sort, ssh-keygen, and plink where it is installed.
#
#   tools/smoke.sh BINARY [VERSION]
#
# --version (equal to "sockhop VERSION" when given); passwd; serve with a session and the
# built-in SSH server on loopback; list; connect NAME; connect --ssh=native; connect --ssh=plink
# when plink is there (required with SMOKE_REQUIRE_PLINK=1); connect --ssh=openssh on unix.
# Every connect carries lines through `sort` and checks what came back.
set -euo pipefail

bin=${1:?usage: tools/smoke.sh BINARY [VERSION]}
want_version=${2:-}
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) windows=1 ;;
  *) windows=0 ;;
esac
# Git Bash rewrites arguments that look like paths; every path below is made native instead.
export MSYS2_ARG_CONV_EXCL="*"
native() { if [ "$windows" = 1 ]; then cygpath -w "$1"; else printf '%s' "$1"; fi; }

# Short paths: macOS limits a unix socket path to 104 bytes, and its TMPDIR is long. Its /tmp
# is a symlink: the physical path, so that no socket dir is reached through one.
tmp=$(mktemp -d /tmp/shs.XXXXXX)
tmp=$(cd "$tmp" && pwd -P)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "smoke: FAILED: $*" >&2
  if [ -f "$tmp/serve.log" ]; then sed 's/^/  serve: /' "$tmp/serve.log" >&2; fi
  exit 1
}
step() { echo "smoke: $*" >&2; }

SOCKHOP_SOCKET_DIRS=$(native "$tmp/s")
SOCKHOP_XPRA_DIRS=$(native "$tmp/x")
XDG_CONFIG_HOME="$tmp/config"
APPDATA=$(native "$tmp/appdata") # where the built-in server keeps its host key on Windows
export SOCKHOP_SOCKET_DIRS SOCKHOP_XPRA_DIRS XDG_CONFIG_HOME APPDATA
user=${USER:-${USERNAME:-$(id -un)}}

step "--version"
version=$("$bin" --version | tr -d '\r')
case "$version" in
  "sockhop "[0-9]*) ;;
  *) fail "--version said '$version'" ;;
esac
if [ -n "$want_version" ] && [ "$version" != "sockhop $want_version" ]; then
  fail "--version said '$version', the release is $want_version"
fi

step "passwd"
password="smoke-$RANDOM-$RANDOM-pw"
printf '%s\n' "$password" >"$tmp/password"
printf '%s\n' "$password" | "$bin" passwd --password-hashes="$(native "$tmp/passwords")" >/dev/null ||
  fail "passwd"
ssh-keygen -q -t ed25519 -N "" -C smoke -f "$tmp/client" </dev/null
cp "$tmp/client.pub" "$tmp/authorized_keys"

step "serve --bind-ssh"
"$bin" serve --bind-ssh=127.0.0.1:0 \
  --authorized-keys="$(native "$tmp/authorized_keys")" \
  --password-hashes="$(native "$tmp/passwords")" \
  smoke exec:sort </dev/null >/dev/null 2>"$tmp/serve.log" &
serve_pid=$!
# SMOKE_START_S: how long serve may take to start (a build run under emulation needs more).
start_s=${SMOKE_START_S:-30}
for _ in $(seq $((start_s * 5))); do
  if grep -qs 'listening on ssh:' "$tmp/serve.log" && grep -qs 'session smoke at ' "$tmp/serve.log"; then
    break
  fi
  kill -0 "$serve_pid" 2>/dev/null || fail "serve ended"
  sleep 0.2
done
port=$(sed -n 's/.*listening on ssh:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
fp=$(sed -n 's/.*host key ED25519 \(SHA256:[^ ]*\).*/\1/p' "$tmp/serve.log" | head -1)
if [ -z "$port" ] || [ -z "$fp" ]; then fail "serve did not start in $start_s s"; fi

step "list"
"$bin" list >"$tmp/list" || fail "list"
tr -d '\r' <"$tmp/list" | grep -Eq 'LIVE[[:space:]]+smoke([[:space:]]|$)' || fail "list: $(cat "$tmp/list")"

# Lines through the session's `sort`: both directions and the end of the stream.
through() {
  local what=$1
  shift
  local got
  got=$(printf 'c\na\nb\n' | "$@" 2>"$tmp/err" | tr -d '\r') || fail "$what: $(cat "$tmp/err")"
  [ "$got" = "$(printf 'a\nb\nc')" ] || fail "$what: got '$got'; $(cat "$tmp/err")"
  step "$what: ok"
}

through "connect smoke" "$bin" connect smoke
through "connect --ssh=native" "$bin" connect --ssh=native -F none \
  -i "$(native "$tmp/client")" --host-key="$fp" "ssh://$user@127.0.0.1:$port/smoke"

if command -v plink >/dev/null 2>&1; then
  through "connect --ssh=plink" "$bin" connect --ssh=plink \
    --password-file="$(native "$tmp/password")" --host-key="$fp" \
    "ssh://$user@127.0.0.1:$port/smoke"
elif [ "${SMOKE_REQUIRE_PLINK:-}" = 1 ]; then
  fail "plink is not installed"
fi

if [ "$windows" = 0 ] && command -v ssh >/dev/null 2>&1; then
  through "connect --ssh=openssh" "$bin" connect --ssh=openssh -F /dev/null \
    -i "$tmp/client" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "ssh://$user@127.0.0.1:$port/smoke"
fi

step "stop serve"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=""
"$bin" list >"$tmp/list" || fail "list after serve ended"
if tr -d '\r' <"$tmp/list" | grep -q 'LIVE.*smoke'; then fail "the session outlived serve"; fi
step "all passed"
