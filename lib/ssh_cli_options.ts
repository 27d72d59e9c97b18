/**
 * What each of ssh's option letters does, as OpenSSH 9.2's ssh.c does it, in the order given:
 * most set a config field at once (`-c`: the last wins; `-p`, `-l`, `-o`: the first wins, as
 * config lines do), some are for this run only (-G, -E, -v, -W). The result feeds
 * resolveSshConfig's commandLine, so `sockhop ssh -G` prints what `ssh -G` prints.
 */

import { ALL, namesValid } from "./ssh_config_algorithms.ts";
import type { CommandLineSetting } from "./ssh_config.ts";
import type { Options } from "./ssh_config_options.ts";
import { a2port, a2tun, forwardEquals, parseForward, parseSshUri } from "./ssh_config_values.ts";

/** One option as given (the grammar is cli/ssh_argv.ts). */
export type SshItem =
  | { readonly letter: string; readonly arg?: string }
  | { readonly destination: string }
  | { readonly error: string };

/** What the command line asks for, once every letter is taken. */
export interface SshInvocation {
  /** For resolveSshConfig, in order. */
  readonly settings: readonly CommandLineSetting[];
  /** The host as given (after `user@` and `ssh://`). */
  readonly host: string;
  /** The remote command, words joined with single spaces; "" for none. */
  readonly command: string;
  /** -F. */
  readonly configFile?: string;
  /** -G: print the config and exit. */
  readonly configTest: boolean;
  /** -E. */
  readonly logFile?: string;
  /** -v count, 0 to 3. */
  readonly verbose: number;
  /** -W host:port. */
  readonly stdioForward?: { readonly host: string; readonly port: number };
  /** -O: a command for a master (there is none). */
  readonly muxCommand?: string;
}

/** An early end: -V, -Q, a usage error (with getopt's complaint) or a fatal one. */
export type SshEarlyExit =
  | { readonly kind: "print"; readonly stdout?: string; readonly stderr?: string }
  | { readonly kind: "usage"; readonly message?: string }
  | { readonly kind: "fatal"; readonly message: string };

/** Thrown for an early end; the caller prints and exits (0 for print, else 255). */
export class SshExit extends Error {
  override name = "SshExit";
  constructor(readonly exit: SshEarlyExit) {
    super(exit.kind === "fatal" ? exit.message : exit.kind);
  }
}

const _fatal = (message: string) => new SshExit({ kind: "fatal", message });

/** What -V prints. */
export interface SshCliEnv {
  /** The version line of -V. */
  readonly version: string;
}

/** Take every item in order, as ssh.c's option loop does. */
export function sshInvocation(
  items: readonly SshItem[],
  commandWords: readonly string[],
  env: SshCliEnv,
): SshInvocation {
  const s = new _State();
  for (const item of items) {
    if ("error" in item) throw new SshExit({ kind: "usage", message: item.error });
    if ("destination" in item) s.destination(item.destination);
    else _letter(s, item.letter, item.arg ?? "", env);
  }
  if (s.host === undefined) throw new SshExit({ kind: "usage" });
  // After the command line and before any file, as ssh.c checks it: -s or -o SessionType.
  if (commandWords.length === 0) {
    s.set((o) => {
      if (o.sessionType === 1) {
        throw new SshExit({ kind: "usage", message: "You must specify a subsystem to invoke." });
      }
    });
  }
  if (s.syslog && s.logFile !== undefined) throw _fatal("Can't specify both -y and -E");
  return {
    settings: s.settings,
    host: s.host,
    command: commandWords.join(" "),
    configTest: s.configTest,
    verbose: s.verbose,
    ...(s.configFile !== undefined ? { configFile: s.configFile } : {}),
    ...(s.logFile !== undefined ? { logFile: s.logFile } : {}),
    ...(s.stdioForward ? { stdioForward: s.stdioForward } : {}),
    ...(s.muxCommand !== undefined ? { muxCommand: s.muxCommand } : {}),
  };
}

class _State {
  settings: CommandLineSetting[] = [];
  host: string | undefined;
  configFile: string | undefined;
  logFile: string | undefined;
  configTest = false;
  syslog = false;
  verbose = 0;
  stdioForward: { host: string; port: number } | undefined;
  muxCommand: string | undefined;

  set(apply: (o: Options) => void) {
    this.settings.push({ apply });
  }

  /** -o, -i, -J: read by the config's own reader of them (ssh_config_cmdline.ts). */
  arg(flag: "o" | "i" | "J", value: string) {
    this.settings.push({ flag, value });
  }

  /** ssh.c: ssh:// or [user@]host; a user or port already set wins. */
  destination(dest: string) {
    const uri = parseSshUri(dest);
    if (uri === "invalid") throw new SshExit({ kind: "usage" });
    let user: string | undefined;
    let port = -1;
    if (uri !== "not-uri") {
      this.host = uri.host;
      user = uri.user;
      port = uri.port ?? -1;
    } else {
      const at = dest.lastIndexOf("@");
      if (at === 0) throw new SshExit({ kind: "usage" });
      this.host = at > 0 ? dest.slice(at + 1) : dest;
      user = at > 0 ? dest.slice(0, at) : undefined;
    }
    this.set((o) => {
      if (o.user === undefined && user !== undefined) o.user = user;
      if (o.port === -1 && port > 0) o.port = port;
    });
  }
}

function _letter(s: _State, letter: string, arg: string, env: SshCliEnv) {
  const flag = _FLAGS[letter];
  if (flag) {
    s.set(flag);
    return;
  }
  const handler = _WITH_STATE[letter];
  if (!handler) throw new SshExit({ kind: "usage", message: `unknown option -- ${letter}` });
  handler(s, arg, env);
}

/** Letters that only set fields. */
const _FLAGS: Record<string, (o: Options) => void> = {
  "2": () => {},
  "P": () => {},
  "4": (o) => o.addressFamily = 2,
  "6": (o) => o.addressFamily = 10,
  "n": (o) => o.stdinNull = 1,
  "f": (o) => {
    o.forkAfterAuthentication = 1;
    o.stdinNull = 1;
  },
  "x": (o) => o.forwardX11 = 0,
  "X": (o) => o.forwardX11 = 1,
  "Y": (o) => {
    o.forwardX11 = 1;
    o.forwardX11Trusted = 1;
  },
  "g": (o) => o.gatewayPorts = 1,
  "a": (o) => o.forwardAgent = 0,
  "A": (o) => o.forwardAgent = 1,
  "k": (o) => o.gssDelegCreds = 0,
  "K": (o) => {
    o.gssAuthentication = 1;
    o.gssDelegCreds = 1;
  },
  "t": (o) => o.requestTty = o.requestTty === 2 ? 3 : 2,
  "q": (o) => o.logLevel = 0,
  "M": (o) => o.controlMaster = o.controlMaster === 1 ? 3 : 1,
  "C": (o) => o.compression = 1,
  "T": (o) => o.requestTty = 1,
};

type _Handler = (s: _State, arg: string, env: SshCliEnv) => void;

/** Letters that take an argument, or that the rest of the run needs to know about. */
const _WITH_STATE: Record<string, _Handler> = {
  "1": () => {
    throw _fatal("SSH protocol v.1 is no longer supported");
  },
  "y": (s) => s.syslog = true,
  "E": (s, arg) => s.logFile = arg,
  "G": (s) => s.configTest = true,
  "F": (s, arg) => s.configFile = arg,
  "O": (s, arg) => {
    if (s.stdioForward) throw _fatal("Cannot specify multiplexing command with -W");
    if (s.muxCommand !== undefined) throw _fatal("Multiplexing command already specified");
    if (!["check", "forward", "exit", "stop", "cancel", "proxy"].includes(arg)) {
      throw _fatal("Invalid multiplex command.");
    }
    s.muxCommand = arg;
  },
  "Q": (_s, arg) => {
    throw new SshExit({ kind: "print", stdout: `${_query(arg)}\n` });
  },
  "V": (_s, _arg, env) => {
    throw new SshExit({ kind: "print", stderr: `${env.version}\n` });
  },
  "i": (s, arg) => s.arg("i", arg),
  "I": (s, arg) => s.set((o) => o.pkcs11Provider = arg),
  "J": (s, arg) => s.arg("J", arg),
  "v": (s) => {
    // ssh.c: the first -v sets DEBUG1; each further one raises the level as it stands then
    // (so -vvv -q -v is FATAL).
    if (s.verbose === 0) s.set((o) => o.logLevel = 5);
    else {
      s.set((o) => {
        if (o.logLevel < 7) o.logLevel++;
      });
    }
    s.verbose = Math.min(3, s.verbose + 1);
  },

  "w": (s, arg) => {
    const tun = a2tun(arg);
    if (!tun) throw _fatal(`Bad tun device '${arg}'`);
    s.set((o) => {
      if (o.tunOpen === -1) o.tunOpen = 1;
      [o.tunLocal, o.tunRemote] = tun;
    });
  },
  "W": (s, arg) => {
    if (s.stdioForward) throw _fatal("stdio forward already specified");
    if (s.muxCommand !== undefined) throw _fatal("Cannot specify stdio forward with -O");
    const fwd = parseForward(arg, true, false);
    if (!fwd || fwd.listenPath !== undefined || fwd.listenHost === undefined) {
      throw _fatal(`Bad stdio forwarding specification '${arg}'`);
    }
    s.stdioForward = { host: fwd.listenHost, port: fwd.listenPort };
    s.set((o) => {
      o.stdioForward = true;
      o.requestTty = 1;
      o.sessionType = 0;
    });
  },
  "e": (s, arg) => {
    const bytes = new TextEncoder().encode(arg);
    let v: number;
    if (bytes[0] === 0x5e && bytes.length === 2 && bytes[1]! >= 64 && bytes[1]! < 128) {
      v = bytes[1]! & 31;
    } else if (bytes.length === 1) v = bytes[0]!;
    else if (arg === "none") v = -2;
    else throw _fatal(`Bad escape character '${arg}'.`);
    s.set((o) => o.escapeChar = v);
  },
  "c": (s, arg) => {
    if (!namesValid("cipher", /^[+^]/.test(arg) ? arg.slice(1) : arg)) {
      throw _fatal(`Unknown cipher type '${arg}'`);
    }
    s.set((o) => o.ciphers = arg);
  },
  "m": (s, arg) => {
    if (!namesValid("mac", arg)) throw _fatal(`Unknown mac type '${arg}'`);
    s.set((o) => o.macs = arg);
  },
  "p": (s, arg) => {
    s.set((o) => {
      if (o.port !== -1) return;
      const port = a2port(arg);
      if (port <= 0) throw _fatal(`Bad port '${arg}'`);
      o.port = port;
    });
  },
  "l": (s, arg) => s.set((o) => o.user ??= arg),
  "L": (s, arg) => _forward(s, arg, "local"),
  "R": (s, arg) => _forward(s, arg, "remote"),
  "D": (s, arg) => _forward(s, arg, "dynamic"),
  "N": (s) => {
    s.set((o) => {
      if (o.sessionType !== -1 && o.sessionType !== 0) {
        throw _fatal("Cannot specify -N with -s/SessionType");
      }
      o.sessionType = 0;
      o.requestTty = 1;
    });
  },
  "o": (s, arg) => s.arg("o", arg),
  "s": (s) => {
    s.set((o) => {
      if (o.sessionType !== -1 && o.sessionType !== 1) {
        throw _fatal("Cannot specify -s with -N/SessionType");
      }
      o.sessionType = 1;
    });
  },
  "S": (s, arg) => s.set((o) => o.controlPath = arg),
  "b": (s, arg) => s.set((o) => o.bindAddress = arg),
  "B": (s, arg) => s.set((o) => o.bindInterface = arg),
};

function _forward(s: _State, arg: string, kind: "local" | "remote" | "dynamic") {
  const fwd = kind === "remote"
    ? parseForward(arg, false, true) ?? parseForward(arg, true, true)
    : parseForward(arg, kind === "dynamic", false);
  if (!fwd) {
    throw _fatal(`Bad ${kind} forwarding specification '${arg}'`);
  }
  s.set((o) => {
    const list = kind === "remote" ? o.remoteForwards : o.localForwards;
    if (!list.some((f) => forwardEquals(f, fwd))) list.push(fwd);
  });
}

/** -Q: the lists sockhop's config reader knows, as ssh -Q prints them. */
function _query(what: string): string {
  const lower = what.toLowerCase();
  if (what === "cipher" || lower === "ciphers") return ALL.cipher.join("\n");
  if (what === "mac" || lower === "macs") return ALL.mac.join("\n");
  if (what === "kex" || lower === "kexalgorithms") return ALL.kex.join("\n");
  if (what === "key" || lower === "hostkeyalgorithms") return ALL.key.join("\n");
  if (what === "protocol-version") return "2";
  // ssh2's zlib does not run on Deno: -C is taken and the connection stays uncompressed.
  if (what === "compression") return "none";
  if (what === "help") return "cipher\ncompression\nkex\nkey\nmac\nprotocol-version";
  throw _fatal(`Unsupported query "${what}"`);
}
