#!/usr/bin/env bash
# The Windows scenarios, run for real: Deno's own Windows build (npm @deno/win32-x64, at the
# version of the deno running here) runs dist/sockhop.js under Wine, in a prefix of its own.
# Wine 8 lacks three things Deno needs; tools/wine/bcryptprimitives.c, built here with
# mingw-w64 and put beside deno.exe, supplies them (test-only, never shipped).
#
#   tools/wine_suite.sh
#
# Needs wine, x86_64-w64-mingw32-gcc, npm (to fetch the build once; kept in .tmp/platforms),
# deno and ssh-keygen. Without them it skips, or fails with SOCKHOP_REQUIRE_PEERS=1.
# What Wine cannot prove (pipe security between users, a real console, inherited ACLs) is left
# to the release workflow's Windows job.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

step() { echo "wine: $*" >&2; }
suite=wine
. tools/platform_deno.sh
require_peers "apt-get install wine wine64 gcc-mingw-w64-x86-64" \
  wine wineserver x86_64-w64-mingw32-gcc npm deno ssh-keygen sha256sum

# Deno's Windows build, fetched once per version.
win_deno="$(platform_deno win32-x64)/deno.exe"
deno run -A tools/bundle.ts >/dev/null

tmp=$(mktemp -d /tmp/wine-suite.XXXXXX)
pids=()
wineserver_pid=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$wineserver_pid" ]; then
    # The prefix's own processes (services.exe and the like) end with it; then its server.
    wineserver -k 2>/dev/null || true
    kill "$wineserver_pid" 2>/dev/null || true
    wait "$wineserver_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
  echo "wine: FAILED: $*" >&2
  for log in "$tmp"/*.log; do
    [ -f "$log" ] && sed "s/^/  $(basename "$log"): /" "$log" >&2
  done
  exit 1
}

# The program and its runtime in a folder with a space in its name, as under Program Files.
app="$tmp/Program Files/sockhop"
mkdir -p "$app" "$tmp/bin"
cp "$win_deno" "$app/deno.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$app/bcryptprimitives.dll" tools/wine/bcryptprimitives.c
cp dist/sockhop.js "$app/sockhop.js"

# A Windows path of a path here (Wine's Z: is /).
w() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset SOCKHOP_SOCKET_DIRS SOCKHOP_XPRA_DIRS XDG_CONFIG_HOME
mkdir -p "$WINEPREFIX"
wineserver -p -f &
wineserver_pid=$!
step "wineboot"
# (Once more if the first fails: a loaded machine sometimes makes it give up.)
wine wineboot -i >/dev/null 2>&1 || wine wineboot -i >/dev/null 2>&1 || fail "wineboot"
user=${USER:-$(id -un)}
profile="$WINEPREFIX/drive_c/users/$user"
[ -d "$profile" ] || fail "no profile at $profile"
wprofile="C:\\users\\$user"

wdeno=$(w "$app/deno.exe")
ws() { wine "$app/deno.exe" run -A "$(w "$app/sockhop.js")" "$@"; }
# With a bound: a transfer that stalls fails instead of holding the suite.
ws_bounded() { timeout 300 wine "$app/deno.exe" run -A "$(w "$app/sockhop.js")" "$@"; }
# In the background, its pid (the Windows process itself) in $!.
ws_bg() { wine "$app/deno.exe" run -A "$(w "$app/sockhop.js")" "$@" & }
# The Linux side: the same bundle on this deno.
lx() {
  SOCKHOP_SOCKET_DIRS="$tmp/lx/s" XDG_CONFIG_HOME="$tmp/lx/config" HOME="$tmp/lx" \
    deno run -A dist/sockhop.js "$@"
}
lx_bg() {
  SOCKHOP_SOCKET_DIRS="$tmp/lx/s" XDG_CONFIG_HOME="$tmp/lx/config" HOME="$tmp/lx" \
    deno run -A dist/sockhop.js "$@" &
}
mkdir -p "$tmp/lx"

# Commands for exec: targets: Wine has no cat or sort.
cat >"$tmp/bin/cat.js" <<'EOF'
await Deno.stdin.readable.pipeTo(Deno.stdout.writable);
EOF
cat >"$tmp/bin/sort.js" <<'EOF'
const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
const lines = text.split(/\r?\n/).filter((l) => l !== "").sort();
await Deno.stdout.write(new TextEncoder().encode(lines.map((l) => l + "\n").join("")));
Deno.exit(Number(Deno.args[0] ?? 0));
EOF
cat >"$tmp/bin/pipe_client.js" <<'EOF'
// Connect to a pipe as any program would, send a line, print what comes back.
import net from "node:net";
const sock = net.connect(Deno.args[0]);
const want = Deno.args[1];
let got = "";
sock.on("data", (d) => {
  got += d;
  if (got.length >= want.length) {
    console.log(got);
    sock.destroy();
  }
});
sock.on("connect", () => sock.write(want));
sock.on("error", (e) => {
  console.error(e.message);
  Deno.exit(1);
});
EOF

cat >"$tmp/bin/tunnels.js" <<'EOF'
// N connections at once to HOST:PORT, each sends 1 MiB of random bytes, half-closes and reads
// the echo: prints "ok N" when every reply has the SHA-256 of what was sent.
const [host, port, n] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2])];
const hex = async (b) =>
  Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", b)), (x) =>
    x.toString(16).padStart(2, "0")).join("");
const one = async () => {
  const data = new Uint8Array(1 << 20);
  for (let o = 0; o < data.length; o += 65536) crypto.getRandomValues(data.subarray(o, o + 65536));
  const conn = await Deno.connect({ hostname: host, port });
  const writing = (async () => {
    const w = conn.writable.getWriter();
    await w.write(data);
    await conn.closeWrite();
  })();
  const reply = new Uint8Array(await new Response(conn.readable).arrayBuffer());
  await writing;
  if (await hex(reply) !== await hex(data)) throw new Error(`${reply.length} bytes back, not the same`);
};
await Promise.all(Array.from({ length: n }, one));
console.log(`ok ${n}`);
EOF

cat >"$tmp/bin/echo_server.js" <<'EOF'
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(listener.addr.port);
for await (const conn of listener) conn.readable.pipeTo(conn.writable).catch(() => {});
EOF

wait_port() {
  for _ in $(seq 300); do
    [ -s "$1" ] && head -1 "$1" && return 0
    sleep 0.1
  done
  fail "the echo server did not start"
}

# Waits for `text` in a log while `pid` runs.
wait_for() {
  local log=$1 text=$2 pid=$3
  for _ in $(seq 600); do
    grep -q "$text" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail "$(basename "$log" .log) ended"
    sleep 0.1
  done
  fail "no '$text' in $(basename "$log") after 60 s"
}

step "--version"
got=$(ws --version | tr -d '\r')
[ "$got" = "sockhop $(deno eval 'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version)')" ] ||
  fail "--version said '$got'"

step "passwd from stdin (a path with backslashes and spaces)"
mkdir -p "$profile/my files" "$profile/my keys" "$profile/.ssh"
printf 'wine-%s-password\n' "$RANDOM" | ws passwd --password-hashes="$wprofile\\my files\\passwords" \
  >/dev/null 2>"$tmp/passwd.log" || fail "passwd"
grep -q "^$user:" "$profile/my files/passwords" || fail "passwd wrote no entry for $user"

if command -v script >/dev/null 2>&1; then
  step "passwd at the console prompt"
  # A terminal for Wine's console: the password typed twice, nothing echoed.
  printf 'console-pass-1\nconsole-pass-1\n' >"$tmp/typed"
  # shellcheck disable=SC2016
  script -qec "$(printf '%q ' wine "$app/deno.exe" run -A "$(w "$app/sockhop.js")" passwd \
    --password-hashes="$wprofile\\my files\\console-passwords" console)" /dev/null \
    <"$tmp/typed" >"$tmp/console.out" 2>&1 || true
  # (Whether it echoed cannot be told here: the terminal echoes what was typed ahead.)
  if ! grep -q "^console:" "$profile/my files/console-passwords" 2>/dev/null; then
    step "passwd at the console: not run (Wine gave no console here): $(tr -d '\r' <"$tmp/console.out" | tail -1)"
  fi
fi

step "serve: exec: sessions, one with the built-in SSH server"
ssh-keygen -q -t ed25519 -N "" -C wine -f "$profile/my keys/id_ed25519" </dev/null
cp "$profile/my keys/id_ed25519.pub" "$tmp/authorized_keys"
ws_bg serve --bind-ssh=127.0.0.1:0 --authorized-keys="$(w "$tmp/authorized_keys")" \
  wcat "exec:$wdeno" run -A "$(w "$tmp/bin/cat.js")" </dev/null >/dev/null 2>"$tmp/serve-cat.log"
cat_pid=$!
pids+=("$cat_pid")
ws_bg serve wsort "exec:$wdeno" run -A "$(w "$tmp/bin/sort.js")" 3 </dev/null >/dev/null \
  2>"$tmp/serve-sort.log"
sort_pid=$!
pids+=("$sort_pid")
# An echo service on the Linux side, for a session with a tcp: target.
deno run -A "$tmp/bin/echo_server.js" >"$tmp/echo.port" 2>"$tmp/echo.log" &
pids+=("$!")
# Its own built-in SSH server too, for forward's tunnels (no command per tunnel: Windows
# programs started at once under Wine are slow to start).
ssh-keygen -q -t ed25519 -N "" -C wine-tcp -f "$tmp/host_tcp" </dev/null
ws_bg serve --bind-ssh=127.0.0.1:0 --authorized-keys="$(w "$tmp/authorized_keys")" \
  --ssh-host-key="$(w "$tmp/host_tcp")" wtcp "tcp:127.0.0.1:$(wait_port "$tmp/echo.port")" \
  </dev/null >/dev/null 2>"$tmp/serve-tcp.log"
tcp_pid=$!
pids+=("$tcp_pid")
wait_for "$tmp/serve-cat.log" 'listening on ssh:' "$cat_pid"
wait_for "$tmp/serve-cat.log" 'session wcat at ' "$cat_pid"
wait_for "$tmp/serve-sort.log" 'session wsort at ' "$sort_pid"
wait_for "$tmp/serve-tcp.log" 'session wtcp at ' "$tcp_pid"
wait_for "$tmp/serve-tcp.log" 'listening on ssh:' "$tcp_pid"
port=$(sed -n 's/.*listening on ssh:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve-cat.log" | head -1)
fp=$(sed -n 's/.*host key ED25519 \(SHA256:[^ ]*\).*/\1/p' "$tmp/serve-cat.log" | head -1)
[ -n "$port" ] && [ -n "$fp" ] || fail "no port or host key in serve's log"

step "list: LIVE"
ws list >"$tmp/list.out" 2>&1 || fail "list: $(cat "$tmp/list.out")"
tr -d '\r' <"$tmp/list.out" | grep -Eq 'LIVE[[:space:]]+wcat([[:space:]]|$)' || fail "list: $(cat "$tmp/list.out")"
tr -d '\r' <"$tmp/list.out" | grep -Eq 'LIVE[[:space:]]+wsort([[:space:]]|$)' || fail "list: $(cat "$tmp/list.out")"

step "connect NAME into sort: end of input reaches it, its exit status comes back"
set +e
got=$(printf 'c\na\nb\n' | ws connect wsort 2>"$tmp/connect.err" | tr -d '\r')
rc=$?
set -e
[ "$got" = "$(printf 'a\nb\nc')" ] || fail "connect wsort: got '$got'; $(cat "$tmp/connect.err")"
[ "$rc" = 1 ] || fail "connect wsort: exit $rc, not 1 for a command that failed; $(cat "$tmp/connect.err")"
grep -q "exited with status 3" "$tmp/connect.err" || fail "connect wsort: $(cat "$tmp/connect.err")"

step "connect NAME into cat: 16 MiB each way, ended by end of input, SHA-256"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$tmp/16m"
ws_bounded connect wcat <"$tmp/16m" >"$tmp/16m.back" 2>"$tmp/connect.err" ||
  fail "connect wcat: $(cat "$tmp/connect.err")"
[ "$(sha256sum <"$tmp/16m")" = "$(sha256sum <"$tmp/16m.back")" ] ||
  fail "16 MiB through cat came back as $(wc -c <"$tmp/16m.back") other bytes"

step "connect NAME, a tcp: target: 16 MiB each way, SHA-256"
ws_bounded connect wtcp <"$tmp/16m" >"$tmp/16m.back" 2>"$tmp/connect.err" ||
  fail "connect wtcp: $(cat "$tmp/connect.err")"
[ "$(sha256sum <"$tmp/16m")" = "$(sha256sum <"$tmp/16m.back")" ] ||
  fail "16 MiB through tcp: came back as $(wc -c <"$tmp/16m.back") other bytes"

step "serve stays up"
for pid in "$cat_pid" "$sort_pid" "$tcp_pid"; do kill -0 "$pid" 2>/dev/null || fail "a serve ended"; done

step "a second serve of a live name is refused"
set +e
ws serve wcat "exec:$wdeno" </dev/null >/dev/null 2>"$tmp/second.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'already running' "$tmp/second.err" ||
  fail "second serve: exit $rc: $(cat "$tmp/second.err")"

step "a client without the session key is refused"
mkdir -p "$profile/other keys"
head -c 32 /dev/urandom >"$profile/other keys/session.key"
set +e
echo x | SOCKHOP_SOCKET_DIRS="$wprofile\\other keys" ws connect wcat >/dev/null 2>"$tmp/nokey.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "not created by this user's sockhop serve" "$tmp/nokey.err" || fail "wrong key: exit $rc: $(cat "$tmp/nokey.err")"

step "forward --listen=pipe:"
ws_bg forward wcat --listen=pipe:wine-suite-fwd </dev/null >/dev/null 2>"$tmp/forward.log"
fwd_pid=$!
pids+=("$fwd_pid")
for _ in $(seq 300); do
  got=$(wine "$app/deno.exe" run -A "$(w "$tmp/bin/pipe_client.js")" '\\.\pipe\wine-suite-fwd' \
    hello-pipe 2>/dev/null | tr -d '\r') && break
  kill -0 "$fwd_pid" 2>/dev/null || fail "forward ended"
  sleep 0.2
done
[ "$got" = hello-pipe ] || fail "forward --listen=pipe: got '$got'"
kill "$fwd_pid"

step "the Windows built-in server, the Linux built-in client"
got=$(printf 'over ssh\n' | lx connect --ssh=native -F none -i "$profile/my keys/id_ed25519" \
  --host-key="$fp" "ssh://$user@127.0.0.1:$port/wcat" 2>"$tmp/lx.err" | tr -d '\r') ||
  fail "linux client: $(cat "$tmp/lx.err")"
[ "$got" = "over ssh" ] || fail "linux client: got '$got'; $(cat "$tmp/lx.err")"

step "the Windows built-in server carries a forward's tunnels over one connection (_proxy --mux)"
tcp_port=$(sed -n 's/.*listening on ssh:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve-tcp.log" | head -1)
tcp_fp=$(ssh-keygen -lf "$tmp/host_tcp.pub" | cut -d' ' -f2)
lx_bg forward --ssh=native -F none -i "$profile/my keys/id_ed25519" --host-key="$tcp_fp" \
  "ssh://$user@127.0.0.1:$tcp_port/wtcp" --listen=tcp:127.0.0.1:0 </dev/null >/dev/null \
  2>"$tmp/lx-forward.log"
lxfwd_pid=$!
pids+=("$lxfwd_pid")
wait_for "$tmp/lx-forward.log" 'forwarding ' "$lxfwd_pid"
fwd_port=$(sed -n 's/.*forwarding tcp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/lx-forward.log" | head -1)
[ -n "$fwd_port" ] || fail "no port in forward's log: $(cat "$tmp/lx-forward.log")"
# Eight at once, twice: each a connection to the session pipe. With libuv's 4 waiting pipe
# instances, a pipe served through Deno's node:net took no more once four were connected at the
# same moment (lib/session_socket.ts, PIPE_INSTANCES).
for round in 1 2; do
  got=$(timeout 300 deno run -A "$tmp/bin/tunnels.js" 127.0.0.1 "$fwd_port" 8 2>&1) ||
    fail "tunnels (round $round): $got; $(cat "$tmp/lx-forward.log")"
  [ "$got" = "ok 8" ] || fail "tunnels (round $round): got '$got'"
done
kill "$lxfwd_pid"

step "the Linux built-in server, the Windows client: %USERPROFILE%\\.ssh config and known_hosts"
ssh-keygen -q -t ed25519 -N "" -C linux-host -f "$tmp/lx/host_key" </dev/null
lx_bg serve --bind-ssh=127.0.0.1:0 --ssh-host-key="$tmp/lx/host_key" \
  --authorized-keys="$tmp/authorized_keys" lsort exec:sort </dev/null >/dev/null 2>"$tmp/lx-serve.log"
lx_pid=$!
pids+=("$lx_pid")
wait_for "$tmp/lx-serve.log" 'listening on ssh:' "$lx_pid"
wait_for "$tmp/lx-serve.log" 'session lsort at ' "$lx_pid"
lport=$(sed -n 's/.*listening on ssh:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/lx-serve.log" | head -1)
printf 'Host linuxbox\r\n  HostName 127.0.0.1\r\n  Port %s\r\n  User %s\r\n  IdentityFile "%s"\r\n' \
  "$lport" "$user" "$wprofile\\my keys\\id_ed25519" >"$profile/.ssh/config"
printf '[127.0.0.1]:%s %s\r\n' "$lport" "$(cut -d' ' -f1-2 "$tmp/lx/host_key.pub")" \
  >"$profile/.ssh/known_hosts"
got=$(printf 'z\ny\n' | ws connect --ssh=native ssh://linuxbox/lsort 2>"$tmp/wc.err" | tr -d '\r') ||
  fail "windows client: $(cat "$tmp/wc.err")"
[ "$got" = "$(printf 'y\nz')" ] || fail "windows client: got '$got'; $(cat "$tmp/wc.err")"

step "a connection file at a path with backslashes and spaces"
printf 'host=linuxbox\r\nsession=lsort\r\nssh=native\r\n' >"$profile/my files/linux box.sockhop"
got=$(printf 'q\np\n' | ws connect "$wprofile\\my files\\linux box.sockhop" 2>"$tmp/wc.err" |
  tr -d '\r') || fail "connection file: $(cat "$tmp/wc.err")"
[ "$got" = "$(printf 'p\nq')" ] || fail "connection file: got '$got'; $(cat "$tmp/wc.err")"

step "where \\\\.\\pipe\\ cannot be listed: serve opens the pipe by name"
SHIM_NO_PIPE_LIST=1 ws_bg serve wnolist "exec:$wdeno" run -A "$(w "$tmp/bin/cat.js")" </dev/null \
  >/dev/null 2>"$tmp/serve-nolist.log"
nolist_pid=$!
pids+=("$nolist_pid")
wait_for "$tmp/serve-nolist.log" 'session wnolist at ' "$nolist_pid"
set +e
SHIM_NO_PIPE_LIST=1 ws serve wcat "exec:$wdeno" </dev/null >/dev/null 2>"$tmp/second.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'already running' "$tmp/second.err" ||
  fail "second serve without a listing: exit $rc: $(cat "$tmp/second.err")"
got=$(echo unlisted | SHIM_NO_PIPE_LIST=1 ws connect wnolist 2>"$tmp/connect.err" | tr -d '\r') ||
  fail "connect without a listing: $(cat "$tmp/connect.err")"
[ "$got" = unlisted ] || fail "connect without a listing: got '$got'"
set +e
SHIM_NO_PIPE_LIST=1 ws list >/dev/null 2>"$tmp/list.err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'Cannot list the named pipes in .*: name the session' "$tmp/list.err" ||
  fail "list without a listing: exit $rc: $(cat "$tmp/list.err")"

step "stop serve"
kill "$sort_pid"
wait "$sort_pid" 2>/dev/null || true
step "all passed"
