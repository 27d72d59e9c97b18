/**
 * xpra's URLs and `.xpra` files as xpra itself reads them. Every case goes through xpra 3.1.3's
 * own Python code (Debian's xpra: `parse_display_name` for URLs and display names; the
 * launcher's `update_options_from_file` and `connect_builtin` for `.xpra` files) and through
 * sockhop's parsers; host, port, user, password, display and jump host must agree, or the case
 * must be in DEVIATIONS with the reason the README gives.
 */

import assert from "node:assert/strict";
import { parseTarget, type Target } from "../lib/url.ts";
import { parseConnectionFile } from "../lib/connection_file.ts";
import { validateRemoteName } from "../lib/session_name.ts";
import { tempDir } from "./_cli.ts";
import { requirePeer } from "./_sshd.ts";

const PYTHON = "/usr/bin/python3";
const XPRA_MAIN = "/usr/lib/python3/dist-packages/xpra/scripts/main.py";

/** Runs xpra's parsers on JSON cases from stdin; prints one JSON result per case. */
const SCRIPT = String.raw`
import json, os, sys, types
cases = json.load(sys.stdin)
from xpra.scripts import config as xconfig
warnings = []
xconfig.warn = lambda *a: warnings.append(" ".join(str(x) for x in a))
from xpra.scripts.main import parse_display_name

class Abort(Exception):
    pass

def error_cb(msg):
    raise Abort(msg)

FIELDS = ("host", "port", "username", "password", "display",
          "proxy_host", "proxy_port", "proxy_username", "proxy_password")

def url_case(text):
    opts = types.SimpleNamespace(ssh="ssh", exit_ssh=True, remote_xpra=["xpra"], socket_dir=None,
                                 socket_dirs=[], password_file=None, username="", password="",
                                 display=None)
    try:
        desc = parse_display_name(error_cb, opts, text)
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
    out = {"type": desc.get("type")}
    for k in FIELDS:
        if desc.get(k) is not None:
            out[k] = desc[k]
    return out

launcher = None
def file_case(text, path):
    global launcher
    if launcher is None:
        from xpra.client.gtk_base import client_launcher as launcher
        # Everything connect_builtin does after it has worked out the connection is stubbed:
        # the parameters it hands to the connect thread are the result.
        launcher.configure_env = lambda *a, **k: None
        launcher.configure_logging = lambda *a, **k: None
        launcher.configure_network = lambda *a, **k: None
        launcher.make_client = lambda *a, **k: types.SimpleNamespace(init=lambda *a: None)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    captured = {}
    launcher.start_thread = lambda fn, name, daemon=False, args=(): captured.update(p=args[0])
    off = types.SimpleNamespace(get_active=lambda: False)
    try:
        w = launcher.ApplicationWindow()
        w.sharing = off
        w.nostrict_host_check = off
        w.set_info_text = lambda *a: None
        w.update_options_from_file(path)
        w.connect_builtin()
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
    p = captured["p"]
    out = {"type": p.get("type"), "local_user": launcher.get_username()}
    if p.get("type") == "ssh":
        out["host"] = p["host"]
        if "ssh-port" in p:
            out["port"] = p["ssh-port"]
        for k in ("username", "password", "display", "proxy_host", "proxy_port",
                  "proxy_username", "proxy_password"):
            if p.get(k) is not None:
                out[k] = p[k]
        if "ssh" in w.config_keys:
            out["ssh"] = w.config.ssh
    return out

results = []
for c in cases:
    del warnings[:]
    if c["kind"] == "url":
        r = url_case(c["text"])
    else:
        r = file_case(c["text"], os.path.join(c["dir"], "case.xpra"))
    r["warnings"] = list(warnings)
    results.append(r)
json.dump(results, sys.stdout)
`;

/** Both readings brought to the same fields. */
interface Reading {
  type: "ssh" | "local" | "error";
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  display?: string;
  proxy_host?: string;
  proxy_port?: number;
  proxy_username?: string;
  proxy_password?: string;
  ssh?: string;
}

const URLS: string[] = [
  // ssh:// URLs
  "ssh://host/100",
  "ssh://host:2222/100",
  "ssh://host:22/100",
  "ssh://user@host/100",
  "ssh://user:pw@host:2222/100",
  "ssh://user:@host/100",
  "ssh://:pw@host/100",
  "ssh://user:p@ss@host/100",
  "ssh://user:p:w@host/100",
  "ssh://user:p%40ss@host/100",
  "ssh://us%65r@host/100",
  "ssh://host/:100",
  "ssh://host/100.0",
  "ssh://host/:100.0",
  "ssh://host/100#frag",
  "ssh://host#frag",
  "ssh://host",
  "ssh://host/",
  "ssh://user@host:2222",
  "ssh://host/100/",
  "ssh://host/a/b",
  "ssh://host/db",
  "ssh://host/wayland-0",
  "ssh://host/10,encoding=rgb",
  "ssh://host/%31%30%30",
  "ssh://HOST/100",
  "SSH://host/100",
  "xpra+ssh://host/100",
  "vnc+ssh://host/100",
  "ssh://user:p/w@host/100",
  "ssh://user:p?w@host/100",
  "ssh://user:p#w@host/100",
  "ssh:///100",
  // IPv6
  "ssh://[::1]:2222/100",
  "ssh://[::1]/100",
  "ssh://user@[fe80::1]:2222/:100",
  "ssh://::1/100",
  "ssh://fe80::1:10022/100",
  "ssh://user@fe80::1:22/100",
  "ssh://fe80::1%eth0:10022/100",
  "ssh://[fe80::1%25eth0]:2222/100",
  // ports
  "ssh://host:0/100",
  "ssh://host:-1/100",
  "ssh://host:99999/100",
  "ssh://host:abc/100",
  "ssh://host:/100",
  // legacy forms
  "ssh:host:100",
  "ssh:user@host:100",
  "ssh:user:pw@host:100",
  "ssh:host:2222:100",
  "ssh:user@host:2222:100",
  "ssh:host",
  "ssh:host:100.0",
  "ssh:host.example.com:100",
  "ssh:host:db",
  "ssh/host/100",
  "ssh/user@host:2222/100",
  "ssh/host",
  "ssh:/host/100",
  // 3.x jump host syntax, and newer xpra's query keys
  "ssh://host/100?proxy=gw",
  "ssh://host/100?proxy=gw:2200",
  "ssh://host/100?proxy=ju@gw:2200",
  "ssh://host/100?proxy=ju:jpw@gw:2200",
  "ssh://u:p@host:2222/100?proxy=ju:jp@ss@gw",
  "ssh://host/100?proxy=ju:@gw",
  "ssh:host:100?proxy=ju:jpw@gw:2200",
  "ssh://host/100?proxy=gw:notaport",
  "ssh://host/100?proxy=:jpw@gw",
  "ssh://host/100?proxy_host=gw&proxy_port=2200&proxy_username=ju&proxy_password=jp",
  "ssh://host/100?key=/k",
  "ssh://host/100?encoding=rgb",
  // session names xpra takes as they are
  "ssh://host/a%20b",
  "ssh://host/a b",
  "ssh://host/-x",
  "ssh://host/.hidden",
  `ssh://host/${"n".repeat(65)}`,
  `ssh://host/${"n".repeat(64)}`,
  "ssh:host:100,encoding=rgb",
  "ssh:host:name,opt=1",
  "ssh:host:100/",
  "ssh:host:name/",
  // not SSH
  ":100",
  "100",
  "tcp://host:10000/100",
  "socket:///run/x",
];

const FILES: [string, string][] = [
  ["basic", "mode=ssh\nhost=box\nport=100\nusername=u\npassword=pw\nssh_port=2222\n"],
  ["launcher's own file", "autoconnect=True\nencoding=rgb\nmode=ssh\nhost=box\nport=10\n"],
  ["no port: no display", "mode=ssh\nhost=box\n"],
  ["port=-1", "mode=ssh\nhost=box\nport=-1\n"],
  ["port=0", "mode=ssh\nhost=box\nport=0\n"],
  ["port=abc", "mode=ssh\nhost=box\nport=abc\n"],
  ["port=yes", "mode=ssh\nhost=box\nport=yes\n"],
  ["port=+5", "mode=ssh\nhost=box\nport=+5\n"],
  ["display= is not the launcher's", "mode=ssh\nhost=box\ndisplay=:7\n"],
  ["ssh_port=22", "mode=ssh\nhost=box\nssh_port=22\n"],
  ["ssh_port=0", "mode=ssh\nhost=box\nssh_port=0\n"],
  ["ssh_port=abc", "mode=ssh\nhost=box\nssh_port=abc\n"],
  ["host=user:pw@h", "mode=ssh\nhost=u:pw@box\nport=100\n"],
  ["host=user@h beats username=", "mode=ssh\nhost=u@box\nusername=other\n"],
  ["host=user:@h: empty password", "mode=ssh\nhost=u:@box\npassword=pw\n"],
  ["host=@h", "mode=ssh\nhost=@box\nusername=u\n"],
  ["host with two @", "mode=ssh\nhost=u@x@box\n"],
  ["host=h:2222 stays the host", "mode=ssh\nhost=box:2222\n"],
  ["username= empty", "mode=ssh\nhost=box\nusername=\n"],
  ["password with = and spaces", "mode=ssh\nhost=box\npassword= a=b c \n"],
  ["! and # comments", "! saved by hand\n# another\nmode=ssh\n  ! indented\nhost=box\n"],
  ["lines without =", "mode=ssh\njunk line\n=value\nhost=box\n"],
  ["backslash continuation", "mode=ssh\nhost=box\nssh=ssh -x \\\n  -c aes128-ctr\n"],
  ["continuation across a comment", "mode=ssh\nhost=bo\\\n# c\nx\n"],
  ["backslash on the last line", "mode=ssh\nhost=box\\"],
  ["CRLF", "mode=ssh\r\nhost=box\r\nport=3\r\n"],
  ["lone CR", "mode=ssh\rhost=box\rport=3\r"],
  ["spaces around =", "  mode = ssh \n host =  box  \n"],
  ["key given twice", "mode=ssh\nhost=a\nhost=b\n"],
  ["port given twice", "mode=ssh\nhost=box\nport=7\nport=8\n"],
  ["keys are case-sensitive", "mode=ssh\nHost=box\nhost=real\n"],
  ["no mode: tcp", "host=box\nport=100\n"],
  ["mode=tcp", "mode=tcp\nhost=box\nport=10000\n"],
  ["mode=SSH", "mode=SSH\nhost=box\n"],
  ["mode=bogus", "mode=bogus\nhost=box\n"],
  ["no host", "mode=ssh\nport=100\n"],
  ["mode=ssh ignores proxy_*", "mode=ssh\nhost=box\nproxy_host=gw\nproxy_port=2200\n"],
  [
    "mode=ssh -> ssh",
    "mode=ssh -> ssh\nhost=u@box\nport=7\nproxy_host=gw\nproxy_port=2200\nproxy_username=ju\nproxy_password=jp\n",
  ],
  ["mode=ssh -> ssh, proxy defaults", "mode=ssh -> ssh\nhost=box\nproxy_host=gw\n"],
  ["mode=ssh -> ssh without proxy_host", "mode=ssh -> ssh\nhost=box\n"],
  ["proxy_port=abc", "mode=ssh -> ssh\nhost=box\nproxy_host=gw\nproxy_port=abc\n"],
  ["ssh= option", "mode=ssh\nhost=box\nssh=plink -ssh\n"],
  ["unknown keys only warned", "mode=ssh\nhost=box\ncolour=blue\nencoding=png\n"],
  ["tabs", "mode=ssh\n\thost\t=\tbox\t\n"],
];

// Why sockhop reads a form otherwise, one reason per line of the README's "xpra URLs and files".
const PERCENT = "user, password, host and path are percent-decoded, as newer xpra does";
const RFC3986 = "in an ssh:// URL, / ? and # end the user info and host (RFC 3986)";
const NEWER = "sockhop follows newer xpra's URL forms and keys where 3.1.3 differs";
const SCREEN = "display N.S is display N: the screen number means nothing to a socket";
const EMPTY_HOST = "an empty host is refused, not taken as 127.0.0.1";
const STRICT = "a value xpra would drop or bend is refused, with the line or key named";
const SOCKET = "socket:/path is xpra's local form; sockhop names local sessions";
const TWO_AT = "host= with two @ is refused";
const TWICE = "a key given twice is refused";
const NAME =
  "a session name is 1-64 letters, digits, . _ + @ -, not starting with . or -: it is a socket's " +
  "file name and the remote command's argument";

/** Disagreements kept on purpose (README: "xpra URLs and files"), by case. */
const DEVIATIONS: Record<string, string> = {
  "ssh://user:p%40ss@host/100": PERCENT,
  "ssh://us%65r@host/100": PERCENT,
  "ssh://host/%31%30%30": PERCENT,
  "ssh://[fe80::1%25eth0]:2222/100": PERCENT,
  "ssh://host/100.0": SCREEN,
  "ssh://host/:100.0": SCREEN,
  "ssh:host:100.0": SCREEN,
  "ssh://host#frag": RFC3986,
  "ssh://host/a/b": RFC3986,
  "ssh://user:p/w@host/100": RFC3986,
  "ssh://user:p?w@host/100": RFC3986,
  "ssh://user:p#w@host/100": RFC3986,
  "ssh://host/100/": NEWER,
  "ssh://host/10,encoding=rgb": NEWER,
  "SSH://host/100": NEWER,
  "xpra+ssh://host/100": NEWER,
  "vnc+ssh://host/100": NEWER,
  "ssh://host/100?proxy_host=gw&proxy_port=2200&proxy_username=ju&proxy_password=jp": NEWER,
  "ssh://host/100?key=/k": NEWER,
  "ssh:///100": EMPTY_HOST,
  "ssh://host/100?proxy=gw:notaport": STRICT,
  "ssh://host/100?proxy=:jpw@gw": STRICT,
  "ssh://host/100?encoding=rgb": STRICT,
  ".xpra: port=abc": STRICT,
  ".xpra: port=yes": STRICT,
  ".xpra: port=+5": STRICT,
  ".xpra: ssh_port=0": STRICT,
  ".xpra: ssh_port=abc": STRICT,
  ".xpra: proxy_port=abc": STRICT,
  ".xpra: host with two @": TWO_AT,
  ".xpra: port given twice": TWICE,
  "socket:///run/x": SOCKET,
  "ssh://host/a%20b": NAME,
  "ssh://host/a b": NAME,
  "ssh://host/-x": NAME,
  "ssh://host/.hidden": NAME,
  [`ssh://host/${"n".repeat(65)}`]: NAME,
  "ssh:host:100,encoding=rgb": NEWER,
  "ssh:host:name,opt=1": NEWER,
  "ssh:host:100/": NEWER,
  "ssh:host:name/": NEWER,
};

function _display(name: string): string | undefined {
  if (name === "") return undefined;
  return /^:?\d+(\.\d+)*$/.test(name) ? `:${name.replace(/^:/, "")}` : name;
}

function _fromTarget(t: Target, ssh?: string): Reading {
  if (t.kind === "local") {
    const d = _display(t.name);
    return { type: "local", ...(d !== undefined ? { display: d } : {}) };
  }
  const r: Reading = { type: "ssh", host: t.host };
  if (t.port !== undefined && t.port !== 22) r.port = t.port;
  if (t.user !== undefined) r.user = t.user;
  if (t.password !== undefined) r.password = t.password;
  const d = _display(t.name);
  if (d !== undefined) r.display = d;
  if (t.jump) {
    r.proxy_host = t.jump.host;
    if (t.jump.port !== undefined && t.jump.port !== 22) r.proxy_port = t.jump.port;
    if (t.jump.user !== undefined) r.proxy_username = t.jump.user;
    if (t.jump.password !== undefined) r.proxy_password = t.jump.password;
  }
  if (ssh !== undefined) r.ssh = ssh;
  return r;
}

// deno-lint-ignore no-explicit-any
function _fromXpra(x: any): Reading {
  if (x.error !== undefined) return { type: "error" };
  if (x.type === "unix-domain") return { type: "local", display: x.display };
  // xpra goes on to run ssh with an empty host name, which fails.
  if (x.type !== "ssh" || x.host === "" || x.proxy_host === "") return { type: "error" };
  // xpra keeps the brackets of [v6] in the host it hands to ssh: the same address.
  const r: Reading = { type: "ssh", host: String(x.host).replace(/^\[(.*)\]$/, "$1") };
  if (x.port !== undefined && x.port !== 22) r.port = x.port;
  // The launcher passes -l with the local user when the file names none; sockhop lets
  // ~/.ssh/config decide (README), so the local user there is "no user given" here.
  if (x.username && x.username !== x.local_user) r.user = x.username;
  if (x.password) r.password = x.password;
  if (x.display !== undefined && x.display !== "auto") r.display = x.display;
  if (x.proxy_host !== undefined) {
    r.proxy_host = x.proxy_host;
    if (x.proxy_port !== undefined && x.proxy_port !== 22) r.proxy_port = x.proxy_port;
    if (x.proxy_username && x.proxy_username !== x.local_user) {
      r.proxy_username = x.proxy_username;
    }
    if (x.proxy_password) r.proxy_password = x.proxy_password;
  }
  if (x.ssh !== undefined) r.ssh = x.ssh;
  return r;
}

function _sockhopUrl(text: string): Reading {
  try {
    const t = parseTarget(text);
    // The name is checked when the route is resolved, before anything runs.
    validateRemoteName(t.name);
    return _fromTarget(t);
  } catch {
    return { type: "error" };
  }
}

function _sockhopFile(text: string): Reading {
  try {
    const f = parseConnectionFile(text, "case.xpra");
    return _fromTarget(f.target, f.options.ssh);
  } catch {
    return { type: "error" };
  }
}

const _show = (r: Reading) => JSON.stringify(r);

Deno.test("xpra differential: xpra 3.1.3's own parsers and sockhop read URLs and .xpra files alike", async () => {
  if (
    !requirePeer("xpra", XPRA_MAIN, "xpra") || !requirePeer("python3", PYTHON, "python3") ||
    !requirePeer("xvfb-run", "xvfb-run", "xvfb")
  ) return;
  await using dir = await tempDir("sockhop-xpradiff-");
  await Deno.writeTextFile(`${dir}/diff.py`, SCRIPT);
  const cases = [
    ...URLS.map((text) => ({ kind: "url", text, dir: `${dir}` })),
    ...FILES.map(([, text]) => ({ kind: "file", text, dir: `${dir}` })),
  ];
  // The launcher's module sets up GTK when it is imported: it needs an X display.
  const child = new Deno.Command("xvfb-run", {
    args: ["-a", PYTHON, `${dir}/diff.py`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { LANG: "C.UTF-8", HOME: `${dir}` },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(cases)));
  await w.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  // deno-lint-ignore no-explicit-any
  const xpra: any[] = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(xpra.length, cases.length);

  const rows: { name: string; xpra: Reading; sockhop: Reading }[] = [
    ...URLS.map((text, i) => ({
      name: text,
      xpra: _fromXpra(xpra[i]),
      sockhop: _sockhopUrl(text),
    })),
    ...FILES.map(([name, text], i) => ({
      name: `.xpra: ${name}`,
      xpra: _fromXpra(xpra[URLS.length + i]),
      sockhop: _sockhopFile(text),
    })),
  ];
  const unexplained: string[] = [];
  const stale: string[] = [];
  let differ = 0;
  for (const r of rows) {
    const same = _show(r.xpra) === _show(r.sockhop);
    if (!same) {
      differ++;
      console.log(
        `differs: ${r.name} (${DEVIATIONS[r.name] ?? "unexplained"})\n  xpra    ${
          _show(r.xpra)
        }\n  sockhop ${_show(r.sockhop)}`,
      );
    }
    if (!same && !DEVIATIONS[r.name]) unexplained.push(r.name);
    if (same && DEVIATIONS[r.name]) stale.push(`${r.name}: now agrees; drop it from DEVIATIONS`);
  }
  console.log(
    `xpra: ${URLS.length} URLs and ${FILES.length} .xpra files, ${differ} differ (${
      Object.keys(DEVIATIONS).length
    } deviations on the list)`,
  );
  assert.deepEqual(unexplained, [], "disagreements not in DEVIATIONS");
  assert.deepEqual(stale, []);
});
