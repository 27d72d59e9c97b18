/**
 * Paths, path lists, config locations, install hints and --exit-ssh=no, for every platform
 * (injected), and the stray folders a bare file name used to make.
 */

import assert from "node:assert/strict";
import { appendKnownHost } from "../lib/known_hosts.ts";
import { detachedSpawn } from "../lib/openssh.ts";
import { installHint, sshpassMissing } from "../lib/openssh_argv.ts";
import {
  baseName,
  expandHome,
  homeDir,
  isAbsolutePath,
  joinPath,
  parentDir,
  splitPathList,
  systemKnownHostsFiles,
  systemSshConfig,
  userSshDir,
} from "../lib/platform_paths.ts";
import { resolveSessionDirs } from "../lib/sessions.ts";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";

function env(vars: Record<string, string>) {
  return { get: (k: string) => vars[k] };
}

Deno.test("platform paths: a file's dir is taken apart, never cut from its name", () => {
  assert.equal(parentDir("pwfile", "linux"), ".");
  assert.equal(parentDir("kh", "windows"), ".");
  assert.equal(parentDir("/home/al/.ssh/known_hosts", "linux"), "/home/al/.ssh");
  assert.equal(parentDir("C:\\Users\\al\\.ssh\\known_hosts", "windows"), "C:\\Users\\al\\.ssh");
  assert.equal(parentDir("C:/Users/al/kh", "windows"), "C:/Users/al");
  assert.equal(parentDir("/kh", "darwin"), "/");
  assert.equal(
    joinPath(["C:\\ProgramData", "ssh", "ssh_config"], "windows"),
    "C:\\ProgramData\\ssh\\ssh_config",
  );
  assert.equal(joinPath(["/etc", "ssh", "ssh_config"], "linux"), "/etc/ssh/ssh_config");
  // A String object (a string with a dispose method is one) is taken as its text.
  const file = Object.assign("/tmp/d/k", { x: 1 }) as string;
  assert.equal(joinPath([file, "l"], "linux"), "/tmp/d/k/l");
  assert.equal(parentDir(file, "linux"), "/tmp/d");
  assert.equal(baseName(file, "linux"), "k");
  assert.equal(isAbsolutePath(file, "linux"), true);
});

Deno.test("platform paths: path lists split on ; on Windows (C:\\ has a colon), : elsewhere", () => {
  assert.deepEqual(splitPathList("C:\\s;D:\\t\\u;", "windows"), ["C:\\s", "D:\\t\\u"]);
  assert.deepEqual(splitPathList("/run/user/1/sockhop::~/.sockhop", "linux"), [
    "/run/user/1/sockhop",
    "~/.sockhop",
  ]);
  assert.deepEqual(splitPathList("/a:/b", "darwin"), ["/a", "/b"]);
  // What the environment variable means on this platform, through resolveSessionDirs.
  const sep = Deno.build.os === "windows" ? ";" : ":";
  const dirs = resolveSessionDirs(env({ SOCKHOP_SOCKET_DIRS: `/a${sep}/b`, HOME: "/h" }));
  assert.deepEqual(dirs.dirs, ["/a", "/b"]);
});

Deno.test("platform paths: ~ and the homes and ssh dirs of each platform", () => {
  assert.equal(expandHome("~/.ssh/kh", "/home/al", "linux"), "/home/al/.ssh/kh");
  assert.equal(expandHome("~\\.ssh\\kh", "C:\\Users\\al", "windows"), "C:\\Users\\al\\.ssh\\kh");
  assert.equal(expandHome("~\\x", "/home/al", "linux"), "~\\x", "a backslash is a name on unix");
  assert.equal(expandHome("~", "/home/al", "linux"), "/home/al");
  // Git Bash sets HOME to a POSIX-looking path; Windows programs use USERPROFILE.
  const win = env({ USERPROFILE: "C:\\Users\\al", HOME: "/c/Users/al", ProgramData: "D:\\PD" });
  assert.equal(homeDir(win, "windows"), "C:\\Users\\al");
  assert.equal(userSshDir(win, "windows"), "C:\\Users\\al\\.ssh");
  assert.equal(systemSshConfig(win, "windows"), "D:\\PD\\ssh\\ssh_config");
  assert.deepEqual(systemKnownHostsFiles(win, "windows"), [
    "D:\\PD\\ssh\\ssh_known_hosts",
    "D:\\PD\\ssh\\ssh_known_hosts2",
  ]);
  assert.equal(systemSshConfig(env({}), "windows"), "C:\\ProgramData\\ssh\\ssh_config");
  const unix = env({ HOME: "/home/al" });
  assert.equal(homeDir(unix, "darwin"), "/home/al");
  assert.equal(userSshDir(unix, "linux"), "/home/al/.ssh");
  assert.equal(systemSshConfig(unix, "darwin"), "/etc/ssh/ssh_config");
  assert.deepEqual(systemKnownHostsFiles(unix, "linux"), [
    "/etc/ssh/ssh_known_hosts",
    "/etc/ssh/ssh_known_hosts2",
  ]);
});

Deno.test("platform paths: with no home set, files under it are at the root, never in the working dir", () => {
  assert.equal(homeDir(env({}), "linux"), "/");
  assert.equal(homeDir(env({ HOME: "" }), "darwin"), "/");
  assert.equal(homeDir(env({}), "windows"), "\\");
  assert.equal(userSshDir(env({}), "linux"), "/.ssh");
  assert.equal(joinPath([homeDir(env({}), "windows"), ".sockhop"], "windows"), "\\.sockhop");
  // Unix keeps HOME first; USERPROFILE only when HOME is unset.
  assert.equal(homeDir(env({ USERPROFILE: "/u" }), "linux"), "/u");
});

Deno.test("platform: install hints name the platform's package, apt-get on Linux only", () => {
  for (const program of ["ssh", "plink", "plink.exe", "sshpass"]) {
    assert.match(installHint(program, "linux"), /apt-get install/);
    assert.doesNotMatch(installHint(program, "darwin"), /apt-get/);
    assert.doesNotMatch(installHint(program, "windows"), /apt-get/);
  }
  assert.match(installHint("plink", "darwin"), /brew install putty/);
  assert.match(installHint("C:\\x\\PLINK.EXE", "windows"), /winget install PuTTY\.PuTTY/);
  assert.match(installHint("ssh", "windows"), /OpenSSH Client/);
  assert.match(sshpassMissing("windows"), /none for Windows: use --ssh=plink/);
  assert.match(sshpassMissing("linux"), /install it \(apt-get install sshpass\), or use a key/);
});

Deno.test("platform: --exit-ssh=no starts ssh detached except on Windows", () => {
  assert.equal(detachedSpawn(true, "linux"), true);
  assert.equal(detachedSpawn(true, "darwin"), true);
  assert.equal(detachedSpawn(true, "windows"), false);
  assert.equal(detachedSpawn(false, "linux"), false);
});

Deno.test("stray folders: passwd --password-hashes=pwfile writes ./pwfile and makes no dir", async () => {
  await using dir = await tempDir();
  const r = await runSockhop(["passwd", "--password-hashes=pwfile"], {
    env: testEnv(`${dir}/s`),
    stdin: new TextEncoder().encode("a-long-password\n"),
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => [e.name, e.isFile]), [["pwfile", true]]);
});

Deno.test("stray folders: a known_hosts file named without a dir is written here, no dir made", async () => {
  await using dir = await tempDir();
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    const name = new TextEncoder().encode("ssh-ed25519");
    const blob = new Uint8Array(4 + name.length + 4 + 32);
    const view = new DataView(blob.buffer);
    view.setUint32(0, name.length);
    blob.set(name, 4);
    view.setUint32(4 + name.length, 32);
    appendKnownHost({ file: "kh", name: "example.com", keyBlob: blob, hash: false });
  } finally {
    Deno.chdir(cwd);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => [e.name, e.isFile]), [["kh", true]]);
  assert.match(await Deno.readTextFile(`${dir}/kh`), /^example\.com ssh-ed25519 AAAA/);
});
