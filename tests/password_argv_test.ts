/**
 * A password never reaches a command line, whichever way it comes in: the URL, xpra's own
 * `ssh:` form, a `.xpra` host field or password key, a `.sockhop` file, `--password-file`,
 * xpra's `?proxy=` jump host. Each form is a real password login to an sshd (the openssh
 * backend through `sshpass -e`, plink through `-pwfile`, the built-in client for jump hosts)
 * while every process's /proc/PID/cmdline is read over and over.
 */

import assert from "node:assert/strict";
import { runSockhop, SOCKHOP, tempDir, testEnv } from "./_cli.ts";
import { requirePeer, startSshd, withTestUser } from "./_sshd.ts";
import { allCommandLines, markerWrapper, sshOption } from "./_remote.ts";

const dec = new TextDecoder();

interface Form {
  what: string;
  args: string[];
  /** A file the case writes first, path to text. */
  file?: [string, string];
  /** The password is in sockhop's own argv because the user typed it there. */
  inOwnArgv: boolean;
  /** Refused before any ssh starts, with this message. */
  refused?: RegExp;
}

Deno.test("passwords: no form puts a password in any process's command line", async () => {
  if (
    !requirePeer("sshd", "/usr/sbin/sshd", "openssh-server") || !requirePeer("sshpass") ||
    !requirePeer("plink", "plink", "putty-tools")
  ) return;
  await withTestUser(async (user) => {
    await using dir = await tempDir("sockhop-pwargv-");
    const d = `${dir}`;
    await Deno.chmod(d, 0o755);
    await using sshd = await startSshd({ passwordAuth: true });
    await using jump = await startSshd({ passwordAuth: true });
    const env = testEnv(`${d}/s`);
    // sleep: the logins last long enough for the scan to see every process.
    const remote = await markerWrapper(d, "sh -c 'sleep 1; echo REACHED'");
    const known = `${d}/known_hosts`;
    await Deno.writeTextFile(
      known,
      (await Deno.readTextFile(sshd.knownHosts)) + (await Deno.readTextFile(jump.knownHosts)),
    );
    const pwFile = `${d}/pw`;
    await Deno.writeTextFile(pwFile, `${user.password}\n`, { mode: 0o600 });
    const pw = user.password;
    const u = user.name;
    const p = sshd.port;
    const openssh = `--ssh=${
      sshOption([
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        `UserKnownHostsFile=${known}`,
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=password",
      ])
    }`;
    const plink = ["--ssh=plink -ssh -noagent", `--host-key=${sshd.hostKeyFingerprint}`];
    // In a config file, not -o: as with ssh -J, -o is the destination's alone.
    const nativeConfig = `${d}/native_config`;
    await Deno.writeTextFile(
      nativeConfig,
      `Host *\n  UserKnownHostsFile ${known}\n  GlobalKnownHostsFile /dev/null\n` +
        "  PubkeyAuthentication no\n  BatchMode yes\n",
    );
    const native = ["--ssh=native", "-F", nativeConfig];
    const xpraHost = `${d}/host.xpra`;
    const xpraKey = `${d}/key.xpra`;
    const sockhopFile = `${d}/pw.sockhop`;
    const sockhopUrl = `${d}/url.sockhop`;
    const xpraJump = `${d}/jump.xpra`;
    const forms: Form[] = [];
    for (const [backend, words] of [["openssh", [openssh]], ["plink", plink]] as const) {
      forms.push(
        {
          what: `${backend}: ssh://user:password@host URL`,
          args: [`ssh://${u}:${pw}@127.0.0.1:${p}/x`, ...words],
          inOwnArgv: true,
        },
        {
          what: `${backend}: xpra's ssh:user:password@host:port:display`,
          args: [`ssh:${u}:${pw}@127.0.0.1:${p}:x`, ...words],
          inOwnArgv: true,
        },
        {
          what: `${backend}: .xpra host=user:password@host`,
          args: [xpraHost, ...words],
          file: [xpraHost, `mode=ssh\nhost=${u}:${pw}@127.0.0.1\nssh_port=${p}\nport=7\n`],
          inOwnArgv: false,
        },
        {
          what: `${backend}: .xpra password=`,
          args: [xpraKey, ...words],
          file: [
            xpraKey,
            `mode=ssh\nhost=127.0.0.1\nssh_port=${p}\nusername=${u}\npassword=${pw}\n`,
          ],
          inOwnArgv: false,
        },
        {
          what: `${backend}: .sockhop password=`,
          args: [sockhopFile, ...words],
          file: [sockhopFile, `host=127.0.0.1\nport=${p}\nuser=${u}\npassword=${pw}\nsession=x\n`],
          inOwnArgv: false,
        },
        {
          what: `${backend}: .sockhop url= with the password`,
          args: [sockhopUrl, ...words],
          file: [sockhopUrl, `url=ssh://${u}:${pw}@127.0.0.1:${p}/x\n`],
          inOwnArgv: false,
        },
        {
          what: `${backend}: --password-file`,
          args: [`ssh://${u}@127.0.0.1:${p}/x`, ...words, `--password-file=${pwFile}`],
          inOwnArgv: false,
        },
        {
          what: `${backend}: ?proxy=user:password@jump is refused`,
          args: [`ssh://${u}@127.0.0.1:${p}/x?proxy=${u}:${pw}@127.0.0.1:${jump.port}`, ...words],
          inOwnArgv: true,
          refused: /A jump host password cannot be given to (ssh|plink) safely/,
        },
      );
    }
    forms.push(
      {
        what: "native: ?proxy=user:password@jump and the URL's password",
        args: [
          `ssh://${u}:${pw}@127.0.0.1:${p}/x?proxy=${u}:${pw}@127.0.0.1:${jump.port}`,
          ...native,
        ],
        inOwnArgv: true,
      },
      {
        what: "native: .xpra mode=ssh -> ssh with proxy_password=",
        args: [xpraJump, ...native],
        file: [
          xpraJump,
          `mode=ssh -> ssh\nhost=${u}:${pw}@127.0.0.1\nssh_port=${p}\nproxy_host=127.0.0.1\n` +
          `proxy_port=${jump.port}\nproxy_username=${u}\nproxy_password=${pw}\n`,
        ],
        inOwnArgv: false,
      },
    );

    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    for (const form of forms) {
      if (form.file) await Deno.writeTextFile(form.file[0], form.file[1], { mode: 0o600 });
      const before = new Set([...Deno.readDirSync(tmp)].map((e) => e.name));
      let leak = "";
      let scans = 0;
      let sawLogin = false;
      let done = false;
      const running = runSockhop(["connect", ...form.args, `--remote-sockhop=${remote}`], { env })
        .finally(() => done = true);
      while (!done) {
        for (const line of allCommandLines()) {
          const own = line.includes(SOCKHOP);
          if (line.includes(pw) && !(own && form.inOwnArgv)) leak = line;
          if (/^(sshpass|plink|ssh) /.test(line) || (own && line.includes(" connect "))) {
            sawLogin = true;
          }
        }
        scans++;
        await new Promise((r) => setTimeout(r, 10));
      }
      const r = await running;
      assert.equal(leak.replaceAll(pw, "<PASSWORD>"), "", `${form.what}: a command line held it`);
      assert.ok(sawLogin && scans > 3, `${form.what}: the scan saw the login (${scans} scans)`);
      const warned = r.stderr.match(/use --password-file/g)?.length ?? 0;
      assert.equal(warned, form.inOwnArgv ? 1 : 0, `${form.what}: the warning\n${r.stderr}`);
      if (form.refused) {
        // A usage error, decided with the route (before any ssh runs).
        assert.equal(r.code, 2, `${form.what}: ${r.stderr}`);
        assert.match(r.stderr, form.refused, form.what);
      } else {
        assert.equal(r.code, 0, `${form.what}: ${r.stderr}`);
        assert.equal(dec.decode(r.stdout), "REACHED\n", form.what);
      }
      const left = [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) =>
        !before.has(n) && n.startsWith("sockhop-pw")
      );
      assert.deepEqual(left, [], `${form.what}: password files left behind`);
    }
  });
});

Deno.test("passwords: a FIFO as --password-file or connection file is refused at once", async () => {
  await using dir = await tempDir();
  const fifo = `${dir}/pw`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  const xpraFifo = `${dir}/fifo.xpra`;
  assert.equal((await new Deno.Command("mkfifo", { args: [xpraFifo] }).output()).code, 0);
  const env = testEnv(`${dir}/s`);
  // Nobody writes to either FIFO: a blocking open would never return.
  const r1 = await runSockhop(
    ["connect", "ssh://u@127.0.0.1:1/x", "--ssh=openssh", `--password-file=${fifo}`],
    { env },
  );
  assert.equal(r1.code, 1, r1.stderr);
  assert.match(r1.stderr, /--password-file ".*" is not a regular file \(a FIFO\)/);
  const r2 = await runSockhop(["connect", xpraFifo], { env });
  assert.equal(r2.code, 1, r2.stderr);
  assert.match(r2.stderr, /connection file ".*" is not a regular file \(a FIFO\)/);
});
