/**
 * Files named by the user are read with a bound: a sparse 3 GB file or a device that never
 * ends is refused with a message, by the reader and by the commands that read such files.
 */

import assert from "node:assert/strict";
import {
  FILE_MAX,
  FileTooLargeError,
  readRegularFile,
  readUnblockingFile,
  readUserFile,
} from "../lib/regular_file.ts";
import { runSockhop, tempDir, testEnv } from "./_cli.ts";
import { nativeFlags, requirePeer, startSshd } from "./_sshd.ts";

/** A sparse file of `bytes` (truncate -s): no disk used, a size that must not be read. */
async function sparse(path: string, bytes: number): Promise<string> {
  const f = await Deno.open(path, { create: true, write: true });
  await f.truncate(bytes);
  f.close();
  return path;
}

Deno.test("regular file: a sparse 3 GB file is refused by every reader, before it is read", async () => {
  await using dir = await tempDir();
  const big = await sparse(`${dir}/big`, 3 * 1024 ** 3);
  assert.throws(() => readUnblockingFile(big), FileTooLargeError);
  assert.throws(() => readRegularFile(big), FileTooLargeError);
  assert.throws(
    () => readUserFile(big, "connection file"),
    /^SockhopError: connection file "\/.*\/big" is 3221225472 bytes, more than 16777216 bytes: is it the right file\?$/,
  );
  // At the bound exactly: read.
  const edge = await sparse(`${dir}/edge`, FILE_MAX);
  assert.equal(readUnblockingFile(edge).length, FILE_MAX);
});

Deno.test("regular file: a device that never ends is read no further than the bound", () => {
  if (Deno.build.os === "windows") return;
  assert.throws(
    () => readUnblockingFile("/dev/zero"),
    /"\/dev\/zero" is longer than 16777216 bytes/,
  );
  assert.equal(readUnblockingFile("/dev/null").length, 0);
});

Deno.test("regular file: a 3 GB known_hosts or config stops the built-in client with a message", async () => {
  if (!requirePeer("sshd", "/usr/sbin/sshd", "openssh-server")) return;
  await using dir = await tempDir();
  await using sshd = await startSshd();
  const big = await sparse(`${dir}/big`, 3 * 1024 ** 3);
  const url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}/x`;
  const env = testEnv(`${dir}/s`);
  const knownHosts = await runSockhop(
    [
      "connect",
      url,
      "-o",
      `UserKnownHostsFile=${big}`,
      ...nativeFlags(sshd),
      "-o",
      "BatchMode=yes",
    ],
    { env },
  );
  assert.equal(knownHosts.code, 1, knownHosts.stderr);
  assert.match(
    knownHosts.stderr,
    /known_hosts file ".*\/big" is 3221225472 bytes, more than 16777216/,
  );
  const config = await runSockhop(["connect", url, ...nativeFlags(sshd).slice(0, 1), "-F", big], {
    env,
  });
  // As any -F file that cannot be read: a usage error.
  assert.equal(config.code, 2, config.stderr);
  assert.match(config.stderr, /".*\/big" is 3221225472 bytes, more than 16777216 bytes/);
});

Deno.test("regular file: a file that cannot be opened is named with the system's reason in one line, no runtime noise", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir}/plain`, "x");
  const cases: [string, RegExp][] = [
    [`${dir}/missing`, /: no such file or directory: check the path$/],
    [`${dir}/plain/below`, /: a part of the path is not a directory: check the path$/],
  ];
  for (const [path, want] of cases) {
    assert.throws(() => readUserFile(path, "--password-file"), (err: Error) => {
      assert.match(err.message, want);
      assert.doesNotMatch(err.message, /ENOENT|ENOTDIR|os error|open '/);
      return true;
    });
  }
  const r = await runSockhop(
    ["connect", `--password-file=${dir}/missing`, "ssh://127.0.0.1:1/x"],
    { env: testEnv(`${dir}/s`) },
  );
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `sockhop: Cannot read --password-file "${dir}/missing": no such file or directory: check the path\n`,
  );
});
