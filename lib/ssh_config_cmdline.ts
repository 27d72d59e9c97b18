/**
 * ssh's own config flags, read in the order they were given, as ssh.c's getopt loop does:
 * `-o` is one config line, `-i` an IdentityFile (`~` expanded at once, a file that cannot be
 * read dropped with a warning), `-J` a ProxyJump that must come first (ssh refuses it after a
 * ProxyCommand or another ProxyJump, and it wins over any given later).
 */

import { UsageError } from "./errors.ts";
import { addFile } from "./ssh_config_options.ts";
import { type ConfigReader, readOption, tildeIn } from "./ssh_config_read.ts";
import { parseJump } from "./ssh_config_values.ts";

/** One of ssh's config flags as given on the command line. */
export interface CommandLineArg {
  readonly flag: "o" | "i" | "J";
  readonly value: string;
}

/** ssh.c's SSH_MAX_IDENTITY_FILES. */
const _MAX_IDENTITY_FILES = 100;

/** Apply the flags in order; returns the warnings ssh prints (an -i file it cannot read). */
export function readCommandLine(r: ConfigReader, args: readonly CommandLineArg[]): string[] {
  const warnings: string[] = [];
  for (const { flag, value } of args) {
    if (flag === "o") readOption(r, value);
    else if (flag === "i") {
      const path = tildeIn(r, value);
      if (r.fs.stat(path) === undefined) {
        warnings.push(`Identity file ${path} not accessible: no such file: -i ignores it`);
        continue;
      }
      if (r.o.identityFiles.length >= _MAX_IDENTITY_FILES) {
        throw new UsageError(`Too many identity files specified (max ${_MAX_IDENTITY_FILES})`);
      }
      addFile(r.o.identityFiles, path, true);
    } else _jump(r, value);
  }
  return warnings;
}

function _jump(r: ConfigReader, value: string) {
  const o = r.o;
  if (o.jumpHost !== undefined) {
    throw new UsageError(
      `-J ${value} comes after a ProxyJump (-o): give one -J, with commas between the hops`,
    );
  }
  if (o.proxyCommand !== undefined) {
    throw new UsageError(`-J ${value} cannot go with a ProxyCommand (-o): give one or the other`);
  }
  const jump = parseJump(value, true);
  if (!jump) {
    throw new UsageError(`Bad jump host -J ${value}: write [user@]host[:port], a port 1-65535`);
  }
  if (jump.none) {
    o.jumpHost = "none";
    o.jumpPort = 0;
  } else {
    o.jumpUser = jump.hop.user;
    o.jumpHost = jump.hop.host;
    o.jumpPort = jump.hop.port;
    o.jumpExtra = jump.extra;
    // readconf.c parse_jump: only a real jump host stands in for a ProxyCommand; after
    // -J none a later -o ProxyCommand still counts (as ssh -G shows).
    o.proxyCommand = "none";
  }
  o.origin.set("proxyjump", "-J");
}
