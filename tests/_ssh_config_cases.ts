/**
 * The cases of the ssh_config differential test: each a config (and the files it includes), a
 * destination and ssh's own -l/-p/-o flags. A hand-written table for the corners, then
 * combinations generated from small lists. `~` in a config is the throwaway user's home.
 */

import type { CommandLineArg } from "../lib/ssh_config_cmdline.ts";

/** A file under the home directory, with its mode and owner when they matter. */
export interface FileSpec {
  readonly text: string;
  readonly mode?: number;
  /** Owner uid; "user" is the throwaway user. Default: root, as ssh accepts. */
  readonly owner?: number | "user";
}

export interface Case {
  readonly name: string;
  /** ~/.ssh/config, or the -F file when `F` is set. */
  readonly config?: string | FileSpec;
  /** Other files, by path under the home directory. */
  readonly files?: Readonly<Record<string, string | FileSpec>>;
  /** The destination as typed: `host` or `user@host`. */
  readonly host: string;
  readonly l?: string;
  readonly p?: string;
  readonly o?: readonly string[];
  /** -o, -i and -J interleaved, given after `o`, in this order. */
  readonly args?: readonly CommandLineArg[];
  /** Read the config with -F (an absolute path) instead of ~/.ssh/config. */
  readonly F?: boolean;
  /** Extra environment variables, for ${VAR}. */
  readonly env?: Readonly<Record<string, string>>;
  /** Also run through the sockhop CLI (a sample: start-up costs about 100 ms). */
  readonly cli?: boolean;
}

export type { CommandLineArg };

const L = (...lines: string[]) => lines.join("\n") + "\n";

/** The hand-written table. */
const TABLE: Case[] = [
  // ---- Host patterns
  { name: "host: exact", config: L("Host web", "  User w", "Host *", "  User other"), host: "web" },
  {
    name: "host: patterns are case-sensitive",
    config: L("Host WEB", "  User upper", "Host web", "  User lower"),
    host: "web",
  },
  {
    name: "host: typed in capitals, pattern in lower case",
    config: L("Host web", "  Port 2201"),
    host: "WEB",
  },
  {
    name: "host: star suffix",
    config: L("Host *.example.com", "  Port 2202"),
    host: "a.example.com",
  },
  { name: "host: question mark", config: L("Host db?", "  Port 2203"), host: "db1" },
  { name: "host: question mark too short", config: L("Host db??", "  Port 2203"), host: "db1" },
  {
    name: "host: negation wins",
    config: L("Host db* !db-test", "  User dba", "Host *", "  User nobody"),
    host: "db-test",
  },
  {
    name: "host: negation first, then star",
    config: L("Host !db-test *", "  User any"),
    host: "db-prod",
  },
  { name: "host: negation only never matches", config: L("Host !x", "  User neg"), host: "y" },
  {
    name: "host: list with spaces",
    config: L("Host alpha beta gamma", "  User listed"),
    host: "beta",
  },
  {
    name: "host: comma is part of the pattern",
    config: L("Host alpha,beta", "  User commas"),
    host: "beta",
  },
  {
    name: "host: trailing comment on Host",
    config: L("Host web # the web server", "  User commented"),
    host: "web",
  },
  { name: "host: Host=pattern", config: L("Host=web", "  User eq"), host: "web" },
  {
    name: "host: quoted pattern with space",
    config: L('Host "my host"', "  User quoted"),
    host: "my host",
    F: true,
  },
  {
    name: "host: bracket is literal",
    config: L("Host web[1]", "  User bracket"),
    host: "web[1]",
  },
  {
    name: "host: several blocks apply in order",
    config: L("Host web", "  Port 2204", "Host w*", "  User wstar", "  Port 9"),
    host: "web",
  },
  {
    name: "host: alias is matched, not HostName",
    config: L("Host web", "  HostName db.example.com", "Host db*", "  User db"),
    host: "web",
  },
  {
    name: "host: Host * first sets defaults for all",
    config: L("Host *", "  User first", "Host web", "  User second"),
    host: "web",
  },

  // ---- Match
  {
    name: "match: host after HostName",
    config: L("Host web", "  HostName web.example.com", "Match host *.example.com", "  User m"),
    host: "web",
  },
  {
    name: "match: host is case-insensitive",
    config: L("Match host WEB", "  User m"),
    host: "web",
  },
  {
    name: "match: originalhost",
    config: L("Host web", "  HostName 10.1.1.1", "Match originalhost web", "  User orig"),
    host: "web",
  },
  {
    name: "match: user from the command line",
    config: L("Match user alice", "  Port 2210"),
    host: "web",
    l: "alice",
  },
  {
    name: "match: user from an earlier User line",
    config: L("Host web", "  User bob", "Match user bob", "  Port 2211"),
    host: "web",
  },
  {
    name: "match: user defaults to the local user",
    config: L("Match user sshcfg*", "  Port 2212"),
    host: "web",
  },
  {
    name: "match: localuser",
    config: L("Match localuser sshcfg*", "  Port 2213"),
    host: "web",
  },
  {
    name: "match: localuser negated",
    config: L("Match !localuser sshcfg*", "  Port 2214"),
    host: "web",
  },
  { name: "match: all", config: L("Match all", "  Port 2215"), host: "web" },
  { name: "match: !all never", config: L("Match !all", "  Port 2216"), host: "web" },
  {
    name: "match: all after host",
    config: L("Match host web all", "  Port 2217"),
    host: "web",
  },
  {
    name: "match: all with two criteria is an error",
    config: L("Match host web user x all", "  Port 2218"),
    host: "web",
  },
  {
    name: "match: exec true",
    cli: true,
    config: L("Match exec true", "  Port 2219"),
    host: "web",
  },
  {
    name: "match: exec false",
    config: L("Match exec false", "  Port 2220", "Host *", "  Port 2221"),
    host: "web",
  },
  {
    name: "match: exec with tokens",
    config: L(
      "Host web",
      "  HostName web.example.com",
      "  Port 2222",
      'Match exec "test %h = web.example.com -a %n = web -a %p = 2222 -a %r = sshcfg-user"',
      "  User tokens",
    ),
    host: "web",
    l: "sshcfg-user",
  },
  {
    name: "match: exec skipped after a failed criterion",
    config: L("Match host nomatch exec false", "  User never", "Host *", "  User after"),
    host: "web",
  },
  {
    name: "match: negated exec",
    config: L("Match !exec false", "  User negexec"),
    host: "web",
  },
  {
    name: "match: exec exit status 3 is false",
    config: L('Match exec "exit 3"', "  User three", "Host *", "  User other"),
    host: "web",
  },
  {
    name: "match: exec with an unknown token",
    config: L('Match exec "echo %z"', "  User z"),
    host: "web",
  },
  {
    name: "match: canonical is false without canonicalisation",
    config: L("Match canonical", "  User canon", "Host *", "  User plain"),
    host: "web",
  },
  {
    name: "match: final takes a second pass",
    config: L("Match final", "  User final", "Host *", "  Port 2230"),
    host: "web",
  },
  {
    name: "match: final pass matches Host against the hostname",
    config: L(
      "Host web",
      "  HostName Real.Example.COM",
      "Match final host real.example.com",
      "  User finalhost",
      "Host real.example.com",
      "  Port 2231",
    ),
    host: "web",
  },
  {
    name: "match: canonical with CanonicalizeHostname yes",
    config: L(
      "CanonicalizeHostname yes",
      "Match canonical",
      "  User canon",
      "Match !canonical",
      "  Port 2232",
    ),
    host: "web",
  },
  {
    name: "match: final with negated final",
    config: L("Match !final", "  User first-pass", "Match final", "  User second-pass"),
    host: "web",
  },
  {
    name: "match: missing argument",
    config: L("Match host", "  User x"),
    host: "web",
  },
  {
    name: "match: unknown criterion",
    config: L("Match address 10.0.0.0/8", "  User x"),
    host: "web",
  },
  {
    name: "match: criteria are case-insensitive",
    config: L("Match HOST web USER sshcfg*", "  User caps"),
    host: "web",
  },
  {
    name: "match: trailing comment",
    config: L("Match host web # a comment", "  User c"),
    host: "web",
  },
  {
    name: "match: host list with negation",
    config: L("Match host *.example.com,!bad.example.com", "  User ok"),
    host: "bad.example.com",
  },
  {
    name: "match: originalhost list",
    config: L("Match originalhost a,b,web", "  User listed"),
    host: "web",
  },
  {
    name: "match: user with -l set late",
    config: L("Match user root", "  Port 2233"),
    host: "root@web",
  },

  // ---- Include
  {
    name: "include: relative to ~/.ssh",
    config: L("Include extra.conf", "Host *", "  Port 2240"),
    files: { ".ssh/extra.conf": L("Port 2241", "User included") },
    host: "web",
  },
  {
    name: "include: absolute ~ path",
    config: L("Include ~/other/x.conf"),
    files: { "other/x.conf": L("User tilde") },
    host: "web",
  },
  {
    name: "include: glob sorted",
    config: L("Include conf.d/*.conf"),
    files: {
      ".ssh/conf.d/b.conf": L("User b", "Port 2242"),
      ".ssh/conf.d/a.conf": L("User a"),
      ".ssh/conf.d/c.txt": L("User c"),
    },
    host: "web",
  },
  {
    name: "include: character class",
    config: L("Include conf.d/[b-c]*.conf"),
    files: {
      ".ssh/conf.d/a.conf": L("User a"),
      ".ssh/conf.d/b.conf": L("Port 2243"),
      ".ssh/conf.d/c.conf": L("User c"),
    },
    host: "web",
  },
  {
    name: "include: negated character class",
    config: L("Include conf.d/[!a]*.conf"),
    files: {
      ".ssh/conf.d/a.conf": L("User a"),
      ".ssh/conf.d/b.conf": L("User b"),
    },
    host: "web",
  },
  {
    name: "include: question mark glob",
    config: L("Include conf.d/?.conf"),
    files: {
      ".ssh/conf.d/ab.conf": L("User ab"),
      ".ssh/conf.d/x.conf": L("User x"),
    },
    host: "web",
  },
  {
    name: "include: glob in a directory part",
    cli: true,
    config: L("Include hosts.*/main.conf"),
    files: {
      ".ssh/hosts.b/main.conf": L("User fromb"),
      ".ssh/hosts.a/main.conf": L("Port 2244"),
      ".ssh/hosts.a/other.conf": L("User other"),
    },
    host: "web",
  },
  {
    name: "include: star skips dotfiles",
    config: L("Include conf.d/*"),
    files: {
      ".ssh/conf.d/.hidden": L("User hidden"),
      ".ssh/conf.d/visible": L("Port 2245"),
    },
    host: "web",
  },
  {
    name: "include: dotfiles by an explicit dot",
    config: L("Include conf.d/.h*"),
    files: {
      ".ssh/conf.d/.hidden": L("User hidden"),
      ".ssh/conf.d/visible": L("Port 2246"),
    },
    host: "web",
  },
  {
    name: "include: nested three deep",
    config: L("Include one.conf"),
    files: {
      ".ssh/one.conf": L("Include two.conf", "User one"),
      ".ssh/two.conf": L("Include three.conf", "Port 2247"),
      ".ssh/three.conf": L("User three", "ConnectTimeout 7"),
    },
    host: "web",
  },
  {
    name: "include: inside a matching Host block",
    config: L("Host web", "  Include web.conf", "Host *", "  User star"),
    files: { ".ssh/web.conf": L("User fromweb") },
    host: "web",
  },
  {
    name: "include: inside a Host block that does not match",
    config: L("Host db", "  Include db.conf", "Host *", "  User star"),
    files: { ".ssh/db.conf": L("User fromdb") },
    host: "web",
  },
  {
    name: "include: Host in the included file does not leak",
    config: L("Include hosts.conf", "User after"),
    files: { ".ssh/hosts.conf": L("Host nomatch", "  Port 2248") },
    host: "web",
  },
  {
    name: "include: an inactive file's Host blocks stay inactive",
    config: L("Host db", "  Include hosts.conf"),
    files: { ".ssh/hosts.conf": L("Host web", "  User leaked") },
    host: "web",
  },
  {
    name: "include: a missing file is fine",
    config: L("Include nothere.conf", "User present"),
    host: "web",
  },
  {
    name: "include: several patterns on one line",
    config: L("Include a.conf b.conf"),
    files: { ".ssh/a.conf": L("User a"), ".ssh/b.conf": L("User b", "Port 2249") },
    host: "web",
  },
  {
    name: "include: from a -F file, relative to ~/.ssh",
    config: L("Include extra.conf"),
    files: { ".ssh/extra.conf": L("User viaF") },
    host: "web",
    F: true,
  },
  {
    name: "include: bad line in an inactive include is still an error",
    config: L("Host db", "  Include bad.conf"),
    files: { ".ssh/bad.conf": L("NoSuchKeyword yes") },
    host: "web",
  },
  {
    name: "include: included file others can write",
    config: L("Include open.conf"),
    files: { ".ssh/open.conf": { text: L("User open"), mode: 0o666 } },
    host: "web",
  },
  {
    name: "include: too deep",
    config: L("Include loop.conf"),
    files: { ".ssh/loop.conf": L("Include loop.conf") },
    host: "web",
  },
  {
    name: "include: Match in an included file ends at the file's end",
    config: L("Include m.conf", "Port 2250"),
    files: { ".ssh/m.conf": L("Match host nomatch", "  User none") },
    host: "web",
  },
  {
    name: "include: not allowed in -o",
    host: "web",
    o: ["Include x.conf"],
  },

  // ---- syntax
  { name: "syntax: Key=value", config: L("Port=2260", "User=eq"), host: "web" },
  { name: "syntax: Key = value", config: L("Port = 2261", "User = eq"), host: "web" },
  { name: "syntax: Key =value", config: L("Port =2262"), host: "web" },
  { name: "syntax: Key== value is an error", config: L("Port== 2263"), host: "web" },
  { name: "syntax: tabs", config: "Host\tweb\n\tPort\t2264\n", host: "web" },
  {
    name: "syntax: CRLF line ends",
    config: "Host web\r\n  Port 2265\r\n  User crlf\r\n",
    host: "web",
  },
  { name: "syntax: keywords in any case", config: L("PORT 2266", "uSeR mixed"), host: "web" },
  {
    name: "syntax: trailing comments",
    config: L("Port 2267 # the port", "User alice # who"),
    host: "web",
  },
  { name: "syntax: # inside a word", config: L("User al#ice"), host: "web" },
  {
    name: "syntax: comment lines",
    config: L("# Port 1", "  # User x", "", "Port 2268"),
    host: "web",
  },
  {
    name: "syntax: quoted value with spaces",
    config: L('IdentityFile "/keys/my key"', 'User "alice"'),
    host: "web",
  },
  { name: "syntax: single quotes", config: L("IdentityFile '/keys/a b'"), host: "web" },
  { name: "syntax: unterminated quote", config: L('User "alice'), host: "web" },
  { name: "syntax: escaped space", config: L("IdentityFile /keys/a\\ b"), host: "web" },
  { name: "syntax: escaped quote", config: L('IdentityFile /keys/a\\"b'), host: "web" },
  { name: "syntax: quotes mid-word", config: L('IdentityFile /keys/"a b"c'), host: "web" },
  { name: "syntax: keyword without a value", config: L("User"), host: "web" },
  { name: "syntax: empty quoted value", config: L('User ""'), host: "web" },
  { name: "syntax: extra arguments", config: L("Port 2269 2270"), host: "web" },
  { name: "syntax: extra arguments to User", config: L("User a b"), host: "web" },
  { name: "syntax: unknown keyword", config: L("NoSuchOption yes"), host: "web", cli: true },
  {
    name: "syntax: unknown keyword in a block that does not match",
    config: L("Host nomatch", "  NoSuchOption yes"),
    host: "web",
  },
  {
    name: "syntax: IgnoreUnknown before the unknown keyword",
    config: L("IgnoreUnknown NoSuch*,Other", "NoSuchOption yes", "Other 1", "Port 2271"),
    host: "web",
  },
  {
    name: "syntax: IgnoreUnknown after the unknown keyword",
    config: L("NoSuchOption yes", "IgnoreUnknown NoSuch*"),
    host: "web",
  },
  {
    name: "syntax: IgnoreUnknown from -o",
    config: L("UseKeychain yes", "Port 2272"),
    host: "web",
    o: ["IgnoreUnknown UseKeychain"],
  },
  {
    name: "syntax: IgnoreUnknown is case-insensitive on lower-cased keywords",
    config: L("IgnoreUnknown USEKEYCHAIN", "UseKeychain yes"),
    host: "web",
  },
  {
    name: "syntax: deprecated keywords are accepted",
    config: L("UseRoaming no", "Protocol 2", "Cipher blowfish", "Port 2273"),
    host: "web",
  },
  {
    name: "syntax: unsupported keywords are accepted",
    config: L("RSAAuthentication yes", "CompressionLevel 6", "Port 2274"),
    host: "web",
  },
  { name: "syntax: form feed at the end", config: "Port 2275\f\n", host: "web" },
  { name: "syntax: no newline at the end", config: "User last", host: "web" },
  { name: "syntax: Host without a pattern", config: L("Host", "User x"), host: "web" },
  {
    name: "syntax: Host with an empty quoted pattern",
    config: L('Host ""', "User x"),
    host: "web",
  },
  {
    name: "syntax: quoted keyword",
    config: L('"Port" 2276'),
    host: "web",
  },

  // ---- first value wins
  {
    name: "first: specific before general",
    config: L("Host web", "  User specific", "Host *", "  User general", "  Port 2280"),
    host: "web",
  },
  {
    name: "first: -o wins over the file",
    config: L("Port 2281", "User file"),
    host: "web",
    o: ["Port=2282", "User opt"],
  },
  {
    name: "first: -l and -p win over the file",
    config: L("Port 2283", "User file"),
    host: "web",
    l: "cli",
    p: "2284",
  },
  {
    name: "first: user@host wins over the file",
    config: L("User file"),
    host: "urluser@web",
  },
  {
    name: "first: -l wins over user@host",
    host: "urluser@web",
    l: "flag",
  },
  {
    name: "first: the first of two -o",
    host: "web",
    o: ["Port 2285", "Port 2286"],
  },

  // ---- tokens and environment
  ...["C", "L", "i", "k", "l", "n", "p", "d", "h", "r", "u", "%"].map((t): Case => ({
    name: `tokens: %${t} in ControlPath`,
    config: L(
      "Host web",
      "  HostName web.example.com",
      "  Port 2290",
      `  ControlPath /tmp/cp-%${t}`,
    ),
    host: "web",
    l: "tok",
    cli: t !== "i",
  })),
  {
    name: "tokens: unknown % token in ControlPath",
    config: L("ControlPath /tmp/%z"),
    host: "web",
  },
  {
    name: "tokens: ~ in ControlPath",
    config: L("ControlPath ~/.ssh/cm-%r@%h:%p"),
    host: "web",
    cli: true,
  },
  {
    name: "tokens: UserKnownHostsFile with tokens and ~",
    config: L("UserKnownHostsFile ~/.ssh/kh-%h %d/kh2 /etc/kh-%u"),
    host: "web",
  },
  {
    name: "tokens: GlobalKnownHostsFile is not expanded",
    config: L("GlobalKnownHostsFile ~/g-%h /etc/g"),
    host: "web",
  },
  {
    name: "tokens: IdentityFile is printed unexpanded",
    config: L("IdentityFile ~/.ssh/id_%h_%r", "CertificateFile %d/cert-%h"),
    host: "web",
  },
  {
    name: "tokens: IdentityAgent with tokens",
    config: L("IdentityAgent ~/agent-%L.sock"),
    host: "web",
  },
  {
    name: "tokens: IdentityAgent SSH_AUTH_SOCK",
    config: L("IdentityAgent SSH_AUTH_SOCK"),
    host: "web",
  },
  { name: "tokens: IdentityAgent none", config: L("IdentityAgent none"), host: "web" },
  {
    name: "tokens: IdentityAgent $VAR kept",
    config: L("IdentityAgent $MY_AGENT"),
    host: "web",
    env: { MY_AGENT: "/a" },
  },
  {
    name: "tokens: IdentityAgent ${VAR} expanded",
    config: L("IdentityAgent ${MY_AGENT}/s"),
    host: "web",
    env: { MY_AGENT: "/run/agent" },
  },
  {
    name: "tokens: IdentityAgent ${VAR} unset",
    config: L("IdentityAgent ${NO_SUCH_VAR}"),
    host: "web",
  },
  {
    name: "tokens: IdentityAgent bad $name",
    config: L("IdentityAgent $bad-name"),
    host: "web",
  },
  {
    name: "tokens: ControlPath ${VAR}",
    config: L("ControlPath ${CP_DIR}/%h"),
    host: "web",
    env: { CP_DIR: "/var/cp" },
    cli: true,
  },
  {
    name: "tokens: ControlPath ${VAR} unset",
    config: L("ControlPath ${CP_UNSET}/%h"),
    host: "web",
  },
  {
    name: "tokens: RemoteCommand gets % tokens only",
    config: L("RemoteCommand echo %h %r ${HOME} %%"),
    host: "web",
  },
  {
    name: "tokens: RemoteCommand unknown token",
    config: L("RemoteCommand echo %x"),
    host: "web",
  },
  {
    name: "tokens: ProxyCommand and LocalCommand printed raw",
    config: L("ProxyCommand nc %h %p", "LocalCommand echo %n %x", "KnownHostsCommand /bin/kh %H"),
    host: "web",
  },
  { name: "tokens: HostName %h", config: L("HostName %h.example.com"), host: "web", cli: true },
  { name: "tokens: HostName %%", config: L("HostName a%%b"), host: "web" },
  { name: "tokens: HostName unknown token", config: L("HostName %p.example.com"), host: "web" },
  { name: "tokens: ~user in a path", config: L("ControlPath ~root/cm"), host: "web" },
  { name: "tokens: ~nosuchuser in a path", config: L("ControlPath ~nosuchuser99/cm"), host: "web" },
  { name: "tokens: ~ alone", config: L("UserKnownHostsFile ~"), host: "web" },
  {
    name: "tokens: %k is the HostKeyAlias",
    config: L("HostKeyAlias MyAlias", "ControlPath /tmp/%k"),
    host: "web",
  },
  {
    name: "tokens: LocalForward socket path",
    config: L("LocalForward /tmp/l-%h.sock /run/r.sock"),
    host: "web",
  },
  {
    name: "tokens: ${VAR} in a forward",
    config: L("LocalForward ${FWD_PORT} localhost:80"),
    host: "web",
    env: { FWD_PORT: "8080" },
  },

  // ---- values
  { name: "values: Port by service name", config: L("Port https"), host: "web", cli: true },
  { name: "values: Port ssh", config: L("Port ssh"), host: "web" },
  { name: "values: Port unknown service", config: L("Port nosuchservice"), host: "web" },
  { name: "values: Port 0", config: L("Port 0"), host: "web" },
  { name: "values: Port 65536", config: L("Port 65536"), host: "web" },
  { name: "values: Port +22", config: L("Port +2290"), host: "web" },
  { name: "values: Port 65535", config: L("Port 65535"), host: "web" },
  { name: "values: -p", config: L("Port 1"), host: "web", p: "2291" },
  { name: "values: EscapeChar none", config: L("EscapeChar none"), host: "web" },
  { name: "values: EscapeChar ^B", config: L("EscapeChar ^B"), host: "web" },
  { name: "values: EscapeChar x", config: L("EscapeChar x"), host: "web" },
  { name: "values: EscapeChar bad", config: L("EscapeChar xy"), host: "web" },
  { name: "values: IPQoS one value", config: L("IPQoS ef"), host: "web" },
  { name: "values: IPQoS two values", config: L("IPQoS af21 0x20"), host: "web" },
  { name: "values: IPQoS bad", config: L("IPQoS fast"), host: "web" },
  { name: "values: RekeyLimit", config: L("RekeyLimit 1G 1h"), host: "web" },
  { name: "values: RekeyLimit default none", config: L("RekeyLimit default none"), host: "web" },
  { name: "values: RekeyLimit too small", config: L("RekeyLimit 8"), host: "web" },
  { name: "values: RekeyLimit 512K", config: L("RekeyLimit 512K"), host: "web" },
  { name: "values: AddressFamily inet6", config: L("AddressFamily inet6"), host: "web" },
  { name: "values: AddressFamily bad", config: L("AddressFamily ipx"), host: "web" },
  { name: "values: ControlMaster autoask", config: L("ControlMaster autoask"), host: "web" },
  { name: "values: ControlPersist 10m", config: L("ControlPersist 10m"), host: "web" },
  { name: "values: ControlPersist yes", config: L("ControlPersist yes"), host: "web" },
  { name: "values: ControlPersist 0", config: L("ControlPersist 0"), host: "web" },
  { name: "values: ControlPersist bad", config: L("ControlPersist often"), host: "web" },
  { name: "values: AddKeysToAgent confirm", config: L("AddKeysToAgent confirm"), host: "web" },
  { name: "values: AddKeysToAgent 1h", config: L("AddKeysToAgent 1h"), host: "web" },
  { name: "values: AddKeysToAgent ask 1h", config: L("AddKeysToAgent ask 1h"), host: "web" },
  { name: "values: ForwardAgent path", config: L("ForwardAgent /tmp/agent.sock"), host: "web" },
  { name: "values: ForwardAgent $VAR", config: L("ForwardAgent $SSH_AUTH_SOCK"), host: "web" },
  { name: "values: Tunnel ethernet", config: L("Tunnel ethernet", "TunnelDevice 3"), host: "web" },
  { name: "values: TunnelDevice any:5", config: L("TunnelDevice any:5"), host: "web" },
  { name: "values: TunnelDevice bad", config: L("TunnelDevice x:y"), host: "web" },
  { name: "values: RequestTTY force", config: L("RequestTTY force"), host: "web" },
  { name: "values: SessionType none", config: L("SessionType none"), host: "web" },
  {
    name: "values: CanonicalizeHostname always, no domains",
    config: L("CanonicalizeHostname always", "CanonicalizeMaxDots 0"),
    host: "web",
  },
  {
    name: "values: CanonicalDomains",
    config: L("CanonicalDomains example.com Example.ORG"),
    host: "web",
  },
  { name: "values: CanonicalDomains bad", config: L("CanonicalDomains -bad"), host: "web" },
  {
    name: "values: CanonicalizePermittedCNAMEs",
    config: L("CanonicalizePermittedCNAMEs *.A.com:*.b.com,*.c.com"),
    host: "localhost",
  },
  {
    name: "values: CanonicalizeFallbackLocal no without domains",
    config: L("CanonicalizeHostname yes", "CanonicalizeFallbackLocal no"),
    host: "web",
  },
  { name: "values: StreamLocalBindMask", config: L("StreamLocalBindMask 0002"), host: "web" },
  { name: "values: StreamLocalBindMask bad", config: L("StreamLocalBindMask 0999"), host: "web" },
  { name: "values: FingerprintHash md5", config: L("FingerprintHash md5"), host: "web" },
  { name: "values: FingerprintHash bad", config: L("FingerprintHash sha1"), host: "web" },
  { name: "values: LogLevel DEBUG3", config: L("LogLevel debug3"), host: "web" },
  { name: "values: LogLevel bad", config: L("LogLevel loud"), host: "web" },
  { name: "values: SyslogFacility", config: L("SyslogFacility local7"), host: "web" },
  { name: "values: LogVerbose", config: L("LogVerbose kex.c:*:1000 sshconnect.c:*"), host: "web" },
  {
    name: "values: PubkeyAuthentication unbound",
    config: L("PubkeyAuthentication unbound"),
    host: "web",
  },
  {
    name: "values: PubkeyAuthentication host-bound",
    config: L("PubkeyAuthentication host-bound"),
    host: "web",
  },
  { name: "values: Compression yes", config: L("Compression yes"), host: "web" },
  { name: "values: Compression true is refused", config: L("Compression true"), host: "web" },
  {
    name: "values: SendEnv lists and removal",
    config: L("SendEnv A B_*", "SendEnv -B_*", "SendEnv C"),
    host: "web",
  },
  { name: "values: SendEnv with =", config: L("SendEnv A=1"), host: "web" },
  {
    name: "values: SetEnv first line only",
    config: L("SetEnv A=1 B=2 A=3", "SetEnv C=4"),
    host: "web",
  },
  { name: "values: SetEnv without =", config: L("SetEnv A"), host: "web" },
  { name: "values: PermitRemoteOpen", config: L("PermitRemoteOpen host:22 [::1]:*"), host: "web" },
  { name: "values: PermitRemoteOpen none", config: L("PermitRemoteOpen none"), host: "web" },
  {
    name: "values: forwards",
    config: L(
      "LocalForward 8080 localhost:80",
      "LocalForward 127.0.0.1:8081 [::1]:81",
      "RemoteForward 9090 localhost:90",
      "RemoteForward 9091",
      "DynamicForward 1080",
      "DynamicForward localhost:1081",
      "LocalForward 8080 localhost:80",
    ),
    host: "web",
  },
  { name: "values: LocalForward bad", config: L("LocalForward 8080"), host: "web" },
  {
    name: "values: ClearAllForwardings",
    config: L("ClearAllForwardings yes", "LocalForward 8080 localhost:80", "Tunnel yes"),
    host: "web",
  },
  {
    name: "values: Debian GSSAPI options",
    config: L(
      "GSSAPIAuthentication yes",
      "GSSAPIKeyExchange yes",
      "GSSAPIClientIdentity me@REALM",
      "GSSAPIServerIdentity host@REALM",
      "GSSAPITrustDns yes",
      "GSSAPIRenewalForcesRekey yes",
      "GSSAPIKexAlgorithms gss-group14-sha256-,gss-curve25519-sha256-",
      "GSSAPIDelegateCredentials yes",
    ),
    host: "web",
  },
  {
    name: "values: GSSAPIKexAlgorithms bad",
    config: L("GSSAPIKexAlgorithms gss-foo-"),
    host: "web",
  },
  {
    name: "values: Debian ServerAliveInterval aliases",
    config: L("ProtocolKeepAlives 33"),
    host: "web",
  },
  { name: "values: Debian SetupTimeOut alias", config: L("SetupTimeOut 44"), host: "web" },
  {
    name: "values: ChallengeResponseAuthentication is KbdInteractiveAuthentication",
    config: L("ChallengeResponseAuthentication no", "KbdInteractiveAuthentication yes"),
    host: "web",
  },
  {
    name: "values: obsolete aliases",
    config: L(
      "PubkeyAcceptedKeyTypes +ssh-rsa",
      "HostbasedKeyTypes ssh-ed25519",
      "KeepAlive no",
      "DSAAuthentication no",
      "SmartcardDevice /lib/p11.so",
    ),
    host: "web",
  },
  {
    name: "values: strings",
    config: L(
      "BindAddress 10.0.0.1",
      "BindInterface eth9",
      "KbdInteractiveDevices pam,bsdauth",
      "PreferredAuthentications password,publickey",
      "RevokedHostKeys ~/revoked",
      "PKCS11Provider /usr/lib/p11.so",
      "SecurityKeyProvider /usr/lib/sk.so",
      "XAuthLocation /opt/xauth",
      "HostKeyAlias MIXED.case",
    ),
    host: "web",
  },
  {
    name: "values: none clears commands and paths",
    config: L(
      "ProxyCommand none",
      "ControlPath none",
      "RevokedHostKeys none",
      "PKCS11Provider none",
      "SecurityKeyProvider none",
      "KnownHostsCommand none",
      "LocalCommand none",
      "RemoteCommand none",
    ),
    host: "web",
  },
  {
    name: "values: integers",
    config: L(
      "ConnectionAttempts 4",
      "NumberOfPasswordPrompts 1",
      "ServerAliveCountMax 9",
      "CanonicalizeMaxDots 3",
      "RequiredRSASize 2048",
    ),
    host: "web",
  },
  { name: "values: integer bad", config: L("ConnectionAttempts many"), host: "web" },
  { name: "values: integer negative", config: L("ServerAliveCountMax -1"), host: "web" },
  { name: "values: ConnectionAttempts 0", config: L("ConnectionAttempts 0"), host: "web" },

  // ---- IdentityFile
  {
    name: "identity: a list",
    config: L(
      "IdentityFile ~/.ssh/id_a",
      "IdentityFile ~/.ssh/id_b",
      "Host *",
      "  IdentityFile /k/c",
    ),
    host: "web",
    cli: true,
  },
  {
    name: "identity: duplicates dropped",
    config: L("IdentityFile ~/.ssh/id_a", "IdentityFile ~/.ssh/id_a", "IdentityFile ~/.ssh/id_b"),
    host: "web",
  },
  {
    name: "identity: -o and the file, duplicates dropped",
    config: L("IdentityFile /k/a", "IdentityFile /k/b"),
    host: "web",
    o: ["IdentityFile /k/b"],
  },
  {
    name: "identity: certificate files",
    config: L(
      "CertificateFile /k/a-cert.pub",
      "CertificateFile /k/a-cert.pub",
      "CertificateFile /k/b",
    ),
    host: "web",
  },
  {
    name: "identity: only in a matching block",
    config: L("Host db", "  IdentityFile /k/db", "Host web", "  IdentityFile /k/web"),
    host: "web",
  },
  {
    name: "identity: IdentitiesOnly",
    config: L("IdentitiesOnly yes", "IdentityFile /k/x"),
    host: "web",
  },
  { name: "identity: IdentityFile2 alias", config: L("IdentityFile2 /k/two"), host: "web" },
  { name: "identity: empty IdentityFile", config: L('IdentityFile ""'), host: "web" },

  // ---- ProxyJump and ProxyCommand
  { name: "jump: one hop", config: L("ProxyJump gw"), host: "web", cli: true },
  {
    name: "jump: user, host and port",
    config: L("ProxyJump bob@gw.example.com:2222"),
    host: "web",
  },
  { name: "jump: a chain", config: L("ProxyJump a@gw1,gw2:2200,c@gw3"), host: "web" },
  { name: "jump: IPv6 hop", config: L("ProxyJump [2001:db8::1]:2200"), host: "web" },
  { name: "jump: numeric hop", config: L("ProxyJump 10.0.0.1"), host: "web" },
  { name: "jump: ssh URI", config: L("ProxyJump ssh://bob@gw:2201"), host: "web" },
  { name: "jump: none", config: L("ProxyJump none", "Host *", "  ProxyJump gw"), host: "web" },
  {
    name: "jump: ProxyCommand first wins",
    config: L("ProxyCommand nc %h %p", "ProxyJump gw"),
    host: "web",
  },
  {
    name: "jump: ProxyJump first wins",
    config: L("ProxyJump gw", "ProxyCommand nc %h %p"),
    host: "web",
  },
  {
    name: "jump: ProxyCommand none then ProxyJump",
    config: L("ProxyCommand none", "ProxyJump gw"),
    host: "web",
  },
  {
    name: "jump: ProxyJump none then ProxyCommand",
    config: L("ProxyJump none", "ProxyCommand nc %h %p"),
    host: "web",
  },
  { name: "jump: from -o", host: "web", o: ["ProxyJump=gw:2202"] },
  { name: "jump: loop", config: L("ProxyJump web"), host: "web" },
  { name: "jump: bad hop", config: L("ProxyJump gw:notaport"), host: "web" },
  { name: "jump: trailing comment", config: L("ProxyJump gw # via the gateway"), host: "web" },
  {
    name: "jump: ProxyCommand keeps its comment",
    config: L("ProxyCommand nc %h %p # a comment"),
    host: "web",
  },
  { name: "jump: ProxyCommand with =", config: L("ProxyCommand=ssh -W %h:%p gw"), host: "web" },
  {
    name: "jump: ProxyCommand with a bad quote",
    config: L('ProxyCommand sh -c "nc %h'),
    host: "web",
  },
  {
    name: "jump: ProxyUseFdpass",
    config: L("ProxyCommand /bin/fdpass %h", "ProxyUseFdpass yes"),
    host: "web",
  },

  // ---- defaults that depend on other options
  {
    name: "defaults: BatchMode sets ServerAliveInterval",
    config: L("BatchMode yes"),
    host: "web",
    cli: true,
  },
  {
    name: "defaults: BatchMode and an explicit ServerAliveInterval",
    config: L("BatchMode yes", "ServerAliveInterval 10"),
    host: "web",
  },
  {
    name: "defaults: BatchMode from -o",
    host: "web",
    o: ["BatchMode=yes"],
  },
  {
    name: "defaults: UpdateHostKeys off with another known_hosts file",
    config: L("UserKnownHostsFile ~/.ssh/other_hosts"),
    host: "web",
  },
  {
    name: "defaults: UpdateHostKeys with the default file named",
    config: L("UserKnownHostsFile ~/.ssh/known_hosts"),
    host: "web",
  },
  {
    name: "defaults: UpdateHostKeys off with VerifyHostKeyDNS",
    config: L("VerifyHostKeyDNS yes"),
    host: "web",
  },
  {
    name: "defaults: known_hosts files none",
    config: L("UserKnownHostsFile none", "GlobalKnownHostsFile none"),
    host: "web",
  },
  { name: "defaults: none must be alone", config: L("UserKnownHostsFile none /x"), host: "web" },
  {
    name: "defaults: ControlPersist with UpdateHostKeys ask",
    config: L("UpdateHostKeys ask"),
    host: "web",
  },

  // ---- algorithms
  { name: "algorithms: explicit ciphers", config: L("Ciphers aes256-ctr,aes128-ctr"), host: "web" },
  {
    name: "algorithms: append ciphers",
    config: L("Ciphers +aes128-cbc,3des-cbc"),
    host: "web",
    cli: true,
  },
  { name: "algorithms: remove ciphers", config: L("Ciphers -aes*-ctr"), host: "web" },
  {
    name: "algorithms: prepend ciphers",
    config: L("Ciphers ^aes256-gcm@openssh.com"),
    host: "web",
  },
  { name: "algorithms: remove every cipher", config: L("Ciphers -*"), host: "web" },
  { name: "algorithms: unknown cipher", config: L("Ciphers blowfish-cbc"), host: "web" },
  { name: "algorithms: wildcard in an append", config: L("Ciphers +aes*-cbc"), host: "web" },
  { name: "algorithms: MACs append", config: L("MACs +hmac-md5,hmac-sha1-96"), host: "web" },
  { name: "algorithms: MACs remove", config: L("MACs -umac*,hmac-sha1*"), host: "web" },
  {
    name: "algorithms: KexAlgorithms remove",
    config: L("KexAlgorithms -sntrup*,ecdh-*"),
    host: "web",
  },
  {
    name: "algorithms: KexAlgorithms prepend",
    config: L("KexAlgorithms ^diffie-hellman-group14-sha1"),
    host: "web",
  },
  {
    name: "algorithms: KexAlgorithms unknown",
    config: L("KexAlgorithms curve448-sha512"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms append",
    config: L("HostKeyAlgorithms +ssh-rsa,ssh-dss"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms wildcard",
    config: L("HostKeyAlgorithms ssh-ed25519*,rsa-sha2-*"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms remove certs",
    config: L("HostKeyAlgorithms -*-cert-v01@openssh.com"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms prepend",
    config: L("HostKeyAlgorithms ^ssh-rsa"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms bad",
    config: L("HostKeyAlgorithms ssh-foo"),
    host: "web",
  },
  {
    name: "algorithms: HostKeyAlgorithms wildcard matching none",
    config: L("HostKeyAlgorithms foo*"),
    host: "web",
  },
  {
    name: "algorithms: PubkeyAcceptedAlgorithms",
    config: L("PubkeyAcceptedAlgorithms +ssh-rsa-cert-v01@openssh.com"),
    host: "web",
  },
  {
    name: "algorithms: CASignatureAlgorithms",
    config: L("CASignatureAlgorithms -rsa-sha2-*"),
    host: "web",
  },
  {
    name: "algorithms: CASignatureAlgorithms append",
    config: L("CASignatureAlgorithms +ssh-rsa"),
    host: "web",
  },
  {
    name: "algorithms: HostbasedAcceptedAlgorithms",
    config: L("HostbasedAcceptedAlgorithms ssh-ed25519"),
    host: "web",
  },
  {
    name: "algorithms: explicit list with duplicates",
    config: L("Ciphers aes128-ctr,aes128-ctr,aes256-ctr"),
    host: "web",
  },
  { name: "algorithms: negation in a list", config: L("MACs !hmac-sha1"), host: "web" },
  {
    name: "algorithms: -o Ciphers",
    host: "web",
    o: ["Ciphers=^chacha20-poly1305@openssh.com,aes128-ctr"],
  },

  // ---- rejected configs
  {
    name: "reject: ~/.ssh/config others can write",
    cli: true,
    config: { text: L("User open"), mode: 0o666 },
    host: "web",
  },
  {
    name: "reject: ~/.ssh/config group-writable, root's group",
    config: { text: L("User group"), mode: 0o664 },
    host: "web",
  },
  {
    name: "reject: ~/.ssh/config owned by the user is fine",
    config: { text: L("User mine"), mode: 0o644, owner: "user" },
    host: "web",
  },
  {
    name: "reject: ~/.ssh/config owned by another user",
    config: { text: L("User theirs"), mode: 0o644, owner: 1 },
    host: "web",
  },
  {
    name: "reject: a -F file others can write is read",
    config: { text: L("User openF"), mode: 0o666 },
    host: "web",
    F: true,
  },
  { name: "reject: a -F file that does not exist", host: "web", F: true },
  { name: "reject: Host in -o", host: "web", o: ["Host web"] },
  { name: "reject: Match in -o", host: "web", o: ["Match all"] },
  { name: "reject: bad value in -o", host: "web", o: ["Port=notaport"], cli: true },
  { name: "reject: unknown keyword in -o", host: "web", o: ["Bogus=1"] },
  { name: "reject: -o without a value", host: "web", o: ["User"] },
  { name: "reject: ConnectTimeout bad", config: L("ConnectTimeout soon"), host: "web" },
  {
    name: "reject: bad value in a block that does not match",
    config: L("Host nomatch", "  Port many"),
    host: "web",
  },

  // ---- destinations
  { name: "dest: upper-case alias is lower-cased", host: "WebServer", cli: true },
  {
    name: "dest: HostName upper-case is lower-cased",
    config: L("HostName Web.Example.COM"),
    host: "web",
  },
  { name: "dest: an IPv4 address", host: "127.0.0.1" },
  { name: "dest: an IPv6 address", host: "::1", cli: true },
  {
    name: "dest: HostName IPv6 not in canonical form",
    config: L("HostName 0:0:0::0:1"),
    host: "web",
  },
  { name: "dest: HostName IPv6 upper-case", config: L("HostName FE80::AB"), host: "web" },
  { name: "dest: HostName IPv4 short form", config: L("HostName 127.1"), host: "web" },
  {
    name: "dest: HostName with a trailing dot",
    config: L("HostName web.example.com."),
    host: "web",
  },
  {
    name: "dest: user from the destination and Match user",
    config: L("Match user deploy", "  Port 2299"),
    host: "deploy@web",
  },
  { name: "dest: no config at all", host: "plain", cli: true },

  // ---- deliberate deviations (ALLOWED in ssh_config_diff_test.ts)
  {
    name: "deviation: ~/.ssh/config writable by the owner's own group",
    config: { text: L("User group"), mode: 0o664, owner: "user" },
    host: "web",
  },
  { name: "deviation: -o User and user@host", host: "urluser@web", o: ["User=optuser"] },

  // ---- more corners
  {
    name: "more: Match exec with every token",
    config: L(
      "Host web",
      "  HostName web.example.com",
      "  HostKeyAlias alias1",
      'Match exec "test %C != x -a %L != x -a %l != x -a %d = ~ -a %u = $USER -a %k = alias1 -a %i -ge 1"',
      "  User alltokens",
    ),
    host: "web",
  },
  {
    name: "more: Include inside a Match block",
    config: L("Match originalhost web", "  Include m.conf", "Host *", "  User star"),
    files: { ".ssh/m.conf": L("User frommatch") },
    host: "web",
  },
  {
    name: "more: Host blocks in the final pass match the host name",
    config: L(
      "Host web",
      "  HostName Db.Example.com",
      "Match final",
      "Host db.example.com",
      "  User bydb",
    ),
    host: "web",
  },
  {
    name: "more: ProxyJump none with a comment",
    config: L("ProxyJump none # no jump"),
    host: "web",
  },
  {
    name: "more: ProxyJump with a comment holding a comma",
    config: L("ProxyJump a,b # c,d"),
    host: "web",
  },
  { name: "more: ProxyJump port by service name", config: L("ProxyJump gw:ssh"), host: "web" },
  { name: "more: StrictHostKeyChecking off", config: L("StrictHostKeyChecking off"), host: "web" },
  {
    name: "more: paths with ${VAR} printed raw",
    config: L(
      "IdentityFile ${HOME}/k",
      "CertificateFile ${HOME}/c",
      "UserKnownHostsFile ${HOME}/kh",
    ),
    host: "web",
  },
  { name: "more: PermitRemoteOpen any", config: L("PermitRemoteOpen any"), host: "web" },
  { name: "more: User is not expanded", config: L("User %u-x"), host: "web" },
  { name: "more: HostName %%h", config: L("HostName %%h"), host: "web" },
  { name: "more: -o with a space", host: "web", o: ["Port 2301", "Ciphers=+aes128-cbc"] },
  { name: "more: -l with shell characters", host: "web", l: "a;b" },
  { name: "more: -o User with shell characters", host: "web", o: ["User=a;b"] },
  { name: "more: User with shell characters in a file", config: L('User "a;b"'), host: "web" },
  { name: "more: IPv6 with a scope", host: "fe80::1%lo" },
  { name: "more: a config of comments only", config: L("# nothing", "", "   # here"), host: "web" },
  {
    name: "more: Include of a directory",
    config: L("Include conf.d"),
    files: { ".ssh/conf.d/x": L("User x") },
    host: "web",
  },
  {
    name: "more: Match user after User in the same block",
    config: L("Host web", "  User alice", "Match user alice", "  Port 2302"),
    host: "web",
  },
  {
    name: "more: Match host before HostName",
    config: L("Match host db.example.com", "  User early", "Host web", "  HostName db.example.com"),
    host: "web",
  },
  { name: "more: -o ProxyJump with shell characters", host: "web", o: ["ProxyJump=a$b"] },
  {
    name: "more: a config ProxyJump with shell characters",
    config: L("ProxyJump a$b"),
    host: "web",
  },
  {
    name: "more: KexAlgorithms append an @ name",
    config: L("KexAlgorithms +curve25519-sha256@libssh.org,diffie-hellman-group14-sha1"),
    host: "web",
  },
  {
    name: "more: ConnectTimeout none then a value",
    config: L("ConnectTimeout none", "ConnectTimeout 5"),
    host: "web",
  },
  {
    name: "more: SyslogFacility in a block that does not match",
    config: L("Host nomatch", "  SyslogFacility LOCAL3"),
    host: "web",
  },
  {
    name: "more: StreamLocalBindMask last wins",
    config: L("StreamLocalBindMask 0111", "Host nomatch", "  StreamLocalBindMask 0022"),
    host: "web",
  },
  {
    name: "more: UpdateHostKeys ask with ControlPersist",
    config: L("UpdateHostKeys ask", "ControlPath /tmp/c", "ControlPersist yes"),
    host: "web",
  },
  {
    name: "more: ForkAfterAuthentication without a command",
    config: L("ForkAfterAuthentication yes"),
    host: "web",
  },
  {
    name: "more: ForkAfterAuthentication with RemoteCommand",
    config: L("ForkAfterAuthentication yes", "RemoteCommand true"),
    host: "web",
  },
  {
    name: "more: ProxyCommand - with ProxyUseFdpass",
    config: L("ProxyCommand -", "ProxyUseFdpass yes"),
    host: "web",
  },
  { name: "more: Host ! alone", config: L("Host !", "  User bang"), host: "web" },
  {
    name: "more: IdentityAgent in a block that does not match, unset variable",
    config: L("Host nomatch", "  IdentityAgent ${NOT_SET_X}"),
    host: "web",
  },
  { name: "more: EscapeChar space", config: L('EscapeChar " "'), host: "web" },
  { name: "more: IPQoS none", config: L("IPQoS none"), host: "web" },
  { name: "more: AddKeysToAgent confirm 5m", config: L("AddKeysToAgent confirm 5m"), host: "web" },
  {
    name: "more: RemoteForward to a socket",
    config: L("RemoteForward /tmp/r-%r.sock /run/x.sock"),
    host: "web",
  },
  {
    name: "more: DynamicForward host and port",
    config: L("DynamicForward [::1]:1080"),
    host: "web",
  },
  {
    name: "more: Include with ~ in -F",
    config: L("Include ~/inc/*.conf"),
    files: { "inc/a.conf": L("User a") },
    host: "web",
    F: true,
  },
  { name: "more: Tunnel point-to-point", config: L("Tunnel point-to-point"), host: "web" },
  {
    name: "more: CanonicalizeHostname with a proxy",
    config: L("CanonicalizeHostname yes", "CanonicalizeFallbackLocal no", "ProxyCommand nc %h %p"),
    host: "web",
  },
  {
    name: "more: CanonicalizeMaxDots skips dotted names",
    config: L("CanonicalizeHostname yes", "CanonicalizeFallbackLocal no"),
    host: "a.b.example",
  },
];

/** Combinations: every Host pattern kind against every kind of typed host. */
function hostPatterns(): Case[] {
  const patterns = [
    "web",
    "WEB",
    "web*",
    "*web",
    "w?b",
    "*",
    "web !web",
    "!db *",
    "*.example.com",
    "db web",
    "we*b",
    "**",
  ];
  const hosts = ["web", "WEB", "web1", "db", "a.example.com", "webweb"];
  return patterns.flatMap((p, i) =>
    hosts.map((h, j): Case => ({
      name: `gen host: Host ${p} / ${h}`,
      config: L(`Host ${p}`, "  User matched", "Host *", "  User other"),
      host: h,
      F: (i + j) % 2 === 0,
    }))
  );
}

/** Combinations: every yes/no spelling for every flag keyword. */
function flags(): Case[] {
  const keywords = [
    "BatchMode",
    "CheckHostIP",
    "ForwardX11",
    "ForwardX11Trusted",
    "IdentitiesOnly",
    "HashKnownHosts",
    "TCPKeepAlive",
    "VisualHostKey",
    "StrictHostKeyChecking",
    "PasswordAuthentication",
    "ControlMaster",
    "RequestTTY",
    "UpdateHostKeys",
    "VerifyHostKeyDNS",
    "Tunnel",
    "CanonicalizeHostname",
    "ForwardAgent",
    "StdinNull",
    "ExitOnForwardFailure",
    "EnableEscapeCommandline",
  ];
  const values = ["yes", "no", "true", "False", "YES", "ask", "accept-new", "off", "maybe"];
  return keywords.flatMap((k, i) =>
    values.filter((_, j) => (i + j) % 3 === 0 || j < 2).map((v): Case => ({
      name: `gen flag: ${k} ${v}`,
      config: L(`${k} ${v}`),
      host: "web",
      F: true,
    }))
  );
}

/** Combinations: time formats for every time keyword. */
function times(): Case[] {
  const keywords = ["ConnectTimeout", "ServerAliveInterval", "ForwardX11Timeout", "ControlPersist"];
  const values = ["90", "1m30s", "1h", "2W", "none", "0", "5x", "-1", "1m+30s", "10M", "1d2h"];
  return keywords.flatMap((k) =>
    values.map((v): Case => ({
      name: `gen time: ${k} ${v}`,
      config: L(`${k} ${v}`),
      host: "web",
      F: true,
    }))
  );
}

/** Combinations: + - ^ and plain lists for every algorithm keyword. */
function algorithms(): Case[] {
  const specs: Record<string, string[]> = {
    Ciphers: ["aes128-ctr", "+aes256-cbc", "-chacha20*", "^aes128-gcm@openssh.com,aes256-ctr"],
    MACs: ["hmac-sha2-512", "+hmac-md5-etm@openssh.com", "-*etm*", "^hmac-sha1"],
    KexAlgorithms: [
      "curve25519-sha256",
      "+diffie-hellman-group1-sha1",
      "-diffie-hellman*",
      "^ecdh-sha2-nistp521",
    ],
    HostKeyAlgorithms: ["rsa-sha2-512", "+ssh-dss-cert-v01@openssh.com", "-ecdsa*", "^sk-*"],
    PubkeyAcceptedAlgorithms: [
      "ssh-ed25519",
      "+ssh-rsa",
      "-rsa*",
      "^webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    ],
    CASignatureAlgorithms: ["ssh-ed25519", "+ssh-dss", "-ecdsa*", "^ssh-rsa"],
  };
  return Object.entries(specs).flatMap(([k, list]) =>
    list.map((v): Case => ({
      name: `gen algo: ${k} ${v}`,
      config: L(`${k} ${v}`),
      host: "web",
      F: true,
    }))
  );
}

/** Every case, table first. */
export function allCases(): Case[] {
  return [...TABLE, ...hostPatterns(), ...flags(), ...times(), ...algorithms()];
}
