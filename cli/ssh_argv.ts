/**
 * `sockhop ssh`'s command line, read as OpenSSH 9.2's ssh.c reads it: BSD getopt (no
 * permutation; `--` ends the options), with the options after the destination read by a
 * second getopt pass, and the remaining words as the remote command. Only the grammar: what
 * each letter means is lib/ssh_cli_options.ts.
 */

/** ssh.c's getopt string. */
export const OPTSTRING = "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:PQ:R:S:TVw:W:XYy";

/** One option as given: its letter and, for those that take one, its argument. */
export interface SshOption {
  readonly letter: string;
  readonly arg?: string;
}

/** The command line in order: options, and the destination where it came among them. */
export type SshArgvItem = SshOption | { readonly destination: string };

export interface SshArgv {
  readonly items: readonly SshArgvItem[];
  readonly destination?: string;
  /** The remote command's words (joined with single spaces, as ssh does). */
  readonly command: readonly string[];
}

/** A command line ssh rejects with its usage text; `message` is getopt's complaint, if any. */
export class SshArgvError extends Error {
  override name = "SshArgvError";
  /** The items read before the error (an -V among them still counts, as in ssh). */
  items: readonly SshArgvItem[] = [];
}

/** Parse ssh's argv (without the program name). */
export function parseSshArgv(args: readonly string[]): SshArgv {
  const items: SshArgvItem[] = [];
  let av = ["ssh", ...args];
  let destination: string | undefined;
  for (;;) {
    let pass;
    try {
      pass = _getopt(av, items);
    } catch (err) {
      if (err instanceof SshArgvError) err.items = items;
      throw err;
    }
    const { optind, terminated } = pass;
    av = av.slice(optind);
    if (destination !== undefined || av.length === 0) break;
    destination = av[0]!;
    items.push({ destination });
    // ssh.c: options may follow the destination, unless `--` came before it.
    if (av.length > 1 && !terminated) continue;
    av = av.slice(1);
    break;
  }
  return destination === undefined ? { items, command: av } : { items, destination, command: av };
}

/**
 * One getopt pass over av[1..]: OpenBSD's getopt as OpenSSH's openbsd-compat carries it.
 * Returns where it stopped and whether the word before that was `--` (ssh.c's check, which
 * also fires when `--` was an option's argument).
 */
function _getopt(
  av: readonly string[],
  out: SshArgvItem[],
): { optind: number; terminated: boolean } {
  let optind = 1;
  let stop = false;
  while (!stop && optind < av.length) {
    const word = av[optind]!;
    if (!word.startsWith("-") || word === "-") break;
    if (word === "--") {
      optind++;
      break;
    }
    let pos = 1;
    while (pos < word.length) {
      const letter = word[pos++]!;
      const rest = word.slice(pos);
      if (letter === "-" && rest === "") {
        // A trailing "-" in a cluster: getopt ends here, the word stays unread.
        stop = true;
        break;
      }
      const at = letter === ":" || letter === "-" ? -1 : OPTSTRING.indexOf(letter);
      if (at < 0) throw new SshArgvError(`unknown option -- ${letter}`);
      if (OPTSTRING[at + 1] !== ":") {
        out.push({ letter });
        if (rest === "") optind++;
        continue;
      }
      if (rest !== "") {
        out.push({ letter, arg: rest });
        optind++;
      } else if (optind + 1 < av.length) {
        out.push({ letter, arg: av[optind + 1]! });
        optind += 2;
      } else {
        throw new SshArgvError(`option requires an argument -- ${letter}`);
      }
      break;
    }
  }
  return { optind, terminated: optind > 1 && av[optind - 1] === "--" };
}

/** ssh 9.2's usage text, under sockhop's name. */
export const SSH_USAGE = `usage: sockhop ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]
           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]
           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]
           [-i identity_file] [-J [user@]host[:port]] [-L address]
           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]
           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]
           [-w local_tun[:remote_tun]] destination [command [argument ...]]`;
