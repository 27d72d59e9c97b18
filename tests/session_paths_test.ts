/** Where sessions live and which are safe: the pure rules, with the platform passed in. */

import assert from "node:assert/strict";
import {
  boundSocketPaths,
  dirProblem,
  type FileFacts,
  isBound,
  parentProblem,
  parentsOf,
  pipePath,
  pipeUser,
  sessionPipes,
  socketProblem,
  unixPathMax,
  unixPathProblem,
} from "../lib/session_paths.ts";
import { resolveSessionDirs, sessionPaths } from "../lib/sessions.ts";

const ME = 1000;

function dir(uid: number | null, mode: number, extra: Partial<FileFacts> = {}): FileFacts {
  return { isSymlink: false, isDirectory: true, isSocket: false, uid, mode, ...extra };
}

function sock(uid: number | null, extra: Partial<FileFacts> = {}): FileFacts {
  return { isSymlink: false, isDirectory: false, isSocket: true, uid, mode: 0o140600, ...extra };
}

Deno.test("session paths: the unix socket path limit of each platform, counted in bytes", () => {
  assert.equal(unixPathMax("linux"), 107);
  assert.equal(unixPathMax("darwin"), 103);
  assert.equal(unixPathMax("freebsd"), 103);
  const at = (n: number) => "/" + "a".repeat(n - 1);
  assert.equal(unixPathProblem(at(107), "linux"), undefined);
  assert.equal(
    unixPathProblem(at(108), "linux"),
    `Socket path ${
      at(108)
    } is 108 bytes, 1 more than the 107 Linux allows: use a shorter --socket-dirs`,
  );
  assert.equal(unixPathProblem(at(103), "darwin"), undefined);
  assert.match(
    unixPathProblem(at(107), "darwin")!,
    /is 107 bytes, 4 more than the 103 macOS allows/,
  );
  // Bytes, not characters: 52 two-byte letters are 104 bytes.
  assert.match(unixPathProblem("/é" + "é".repeat(51), "darwin")!, /is 105 bytes, 2 more/);
  assert.match(unixPathProblem(at(120), "linux", "pick another path")!, /: pick another path$/);
});

Deno.test("session paths: a session dir is a real dir of yours or root's that nobody else can write", () => {
  assert.equal(dirProblem(dir(ME, 0o40700), ME), undefined);
  assert.equal(dirProblem(dir(ME, 0o40755), ME), undefined, "others may read and list");
  assert.equal(dirProblem(dir(0, 0o40755), ME), undefined, "root's dir");
  assert.equal(dirProblem(dir(ME, 0o40700, { isSymlink: true }), ME), "is a symlink");
  assert.equal(dirProblem(dir(ME, 0o100600, { isDirectory: false }), ME), "is not a directory");
  assert.equal(dirProblem(dir(1001, 0o40700), ME), "belongs to another user (uid 1001)");
  assert.equal(dirProblem(dir(1000, 0o40700), 0), "belongs to another user (uid 1000)");
  assert.equal(
    dirProblem(dir(ME, 0o40777), ME),
    "is writable by group and others (mode 0777)",
  );
  assert.equal(dirProblem(dir(ME, 0o40770), ME), "is writable by its group (mode 0770)");
  assert.equal(dirProblem(dir(ME, 0o40702), ME), "is writable by others (mode 0702)");
  // A root-owned sticky dir: /tmp, and xpra's /run/xpra (1775 root:xpra from tmpfiles.d).
  assert.equal(dirProblem(dir(0, 0o41777), ME), undefined);
  assert.equal(dirProblem(dir(0, 0o41775), ME), undefined);
  // Without the sticky bit (xpra makes /run/xpra 0775 itself when tmpfiles.d did not) any
  // member of the group can swap a socket: refused.
  assert.equal(dirProblem(dir(0, 0o40775), ME), "is writable by its group (mode 0775)");
  // Sticky but owned by another user: that user can still rename what is in it.
  assert.equal(dirProblem(dir(1001, 0o41777), ME), "belongs to another user (uid 1001)");
  assert.equal(dirProblem(dir(ME, 0o41777), ME), "is writable by group and others (mode 1777)");
});

Deno.test("session paths: the parents of a session dir, and the socket itself", () => {
  assert.deepEqual(parentsOf("/run/user/1000/sockhop"), [
    "/run/user/1000",
    "/run/user",
    "/run",
    "/",
  ]);
  assert.deepEqual(parentsOf("/a/"), ["/"]);
  assert.deepEqual(parentsOf("/"), []);
  assert.equal(parentProblem(dir(0, 0o41777), ME), undefined, "/tmp");
  assert.equal(parentProblem(dir(ME, 0o40755), ME), undefined);
  assert.equal(
    parentProblem(dir(ME, 0o40777), ME),
    "is writable by others (mode 0777) and not sticky",
  );
  assert.equal(parentProblem(dir(1001, 0o40755), ME), "belongs to another user (uid 1001)");

  assert.equal(socketProblem(sock(ME), ME), undefined);
  assert.equal(socketProblem(sock(0), ME), undefined);
  assert.equal(socketProblem(sock(1001), ME), "belongs to another user (uid 1001)");
  assert.equal(socketProblem(sock(ME, { isSymlink: true, isSocket: false }), ME), "is a symlink");
  assert.equal(socketProblem(sock(ME, { isSocket: false }), ME), "is not a socket");
});

Deno.test("session paths: /proc/net/unix tells which socket paths a process holds bound", () => {
  const text = [
    "Num       RefCount Protocol Flags    Type St Inode Path",
    "0000000072ae98b1: 00000003 00000000 00000000 0002 03 37530",
    "00000000263ec950: 00000002 00000000 00000000 0001 01 39839 /tmp/s/vm-starting",
    "00000000263ec951: 00000002 00000000 00010000 0001 01  1057 /tmp/with space/vm-x",
    "00000000263ec952: 00000002 00000000 00010000 0001 01  1058 @abstract",
    "00000000263ec953: 00000002 00000000 00010000 0001 01  1059 vm-relative",
    "",
  ].join("\n");
  const bound = boundSocketPaths(text);
  assert.deepEqual([...bound].sort(), [
    "/tmp/s/vm-starting",
    "/tmp/with space/vm-x",
    "vm-relative",
  ]);
  assert.ok(isBound("/tmp/s/vm-starting", bound));
  assert.ok(isBound("/tmp/with space/vm-x", bound));
  assert.ok(!isBound("/tmp/s/vm-gone", bound));
  assert.ok(isBound("/anywhere/vm-relative", bound), "bound by a relative path: not dead");
  assert.ok(!isBound("/tmp/s/vm-relative2", bound));
});

Deno.test("session paths: Windows session pipes are named per user and listed by that prefix", () => {
  assert.equal(pipeUser("alice"), "alice");
  assert.equal(pipeUser("bob-x"), "bob%2Dx");
  assert.equal(pipeUser("Jo Doe"), "Jo%20Doe");
  assert.equal(pipeUser("zoë"), "zo%C3%AB");
  assert.equal(pipePath("alice", "DESKTOP-7QX", "pg"), "\\\\.\\pipe\\sockhop-alice-DESKTOP-7QX-pg");
  const names = [
    "openssh-ssh-agent",
    "sockhop-alice-DESKTOP-7QX-pg",
    "SOCKHOP-ALICE-DESKTOP-7QX-web", // pipe names have no case
    "sockhop-alice-OTHERHOST-x",
    "sockhop-bob%2Dx-DESKTOP-7QX-db",
    "sockhop-bob-DESKTOP-7QX-mine",
    "sockhop-alice-",
    "Xpra\\100",
  ];
  assert.deepEqual(sessionPipes(names, "alice", "DESKTOP-7QX"), [
    { pipe: "\\\\.\\pipe\\SOCKHOP-ALICE-DESKTOP-7QX-web", host: "DESKTOP-7QX", name: "web" },
    { pipe: "\\\\.\\pipe\\sockhop-alice-DESKTOP-7QX-pg", host: "DESKTOP-7QX", name: "pg" },
    { pipe: "\\\\.\\pipe\\sockhop-alice-OTHERHOST-x", host: "OTHERHOST", name: "x" },
  ]);
  // "bob" does not take "bob-x"'s pipes for its own.
  assert.deepEqual(sessionPipes(names, "bob", "DESKTOP-7QX").map((p) => p.name), ["mine"]);
  assert.deepEqual(sessionPipes(names, "bob-x", "DESKTOP-7QX").map((p) => p.name), ["db"]);
});

Deno.test("session paths: on Windows a session is its pipe, and xpra's dirs are not searched", () => {
  const env = new Map([["USERPROFILE", "C:\\Users\\alice"], ["USERNAME", "alice"]]);
  const dirs = resolveSessionDirs(env, undefined, "DESKTOP-7QX", "windows");
  assert.equal(dirs.os, "windows");
  assert.equal(dirs.user, "alice");
  assert.deepEqual(dirs.xpraDirs, []);
  assert.deepEqual(sessionPaths(dirs, "pg"), [
    { path: "\\\\.\\pipe\\sockhop-alice-DESKTOP-7QX-pg", kind: "sockhop" },
  ]);
  const posix = resolveSessionDirs(new Map([["HOME", "/home/a"]]), "/s1:/s2", "h", "linux");
  assert.deepEqual(sessionPaths(posix, "pg").map((p) => p.path), ["/s1/h-pg", "/s2/h-pg"]);
});
