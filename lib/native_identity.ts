/**
 * Private key files for the built-in client: parsed by ssh2 (every format and cipher it
 * knows), asking for the passphrase when needed, then made to sign on this runtime, or set
 * aside with the reason before the server is ever asked about them.
 */

// @ts-types="@types/ssh2"
import type ssh2 from "ssh2";
import type { Logger } from "./logger.ts";
import type { Prompter } from "./prompt.ts";
import { readUnblockingFile } from "./regular_file.ts";
import { quote } from "./safe_text.ts";
import { parsePrivateKey, prepareToSign, UnreadableKeyError } from "./ssh_keys.ts";

export type LoadedKey =
  | { readonly kind: "key"; readonly key: ssh2.ParsedKey }
  /** Not there, or not a key: nothing to offer. */
  | { readonly kind: "none" }
  /** A key that cannot sign here: offering it would end in a signing error. */
  | { readonly kind: "unusable"; readonly reason: string };

/** Read, decrypt and check one identity file. `explicit`: named by the user, so say why not. */
export async function loadIdentity(
  file: string,
  explicit: boolean,
  prompter: Prompter,
  logger: Logger,
): Promise<LoadedKey> {
  let data: Uint8Array;
  try {
    data = readUnblockingFile(file);
  } catch (err) {
    if (explicit) logger.warn(`identity file ${file} not readable: ${(err as Error).message}`);
    return { kind: "none" };
  }
  const exposed = _exposedKey(file);
  if (exposed) {
    logger.warn(`UNPROTECTED PRIVATE KEY FILE: ${exposed}`);
    return { kind: "unusable", reason: exposed };
  }
  let parsed = parsePrivateKey(data);
  for (
    let attempt = 0;
    parsed instanceof Error && /passphrase/i.test(parsed.message) && attempt < 3;
    attempt++
  ) {
    const passphrase = await prompter.ask(`Enter passphrase for key '${file}': `, { secret: true });
    parsed = parsePrivateKey(data, passphrase);
    if (parsed instanceof Error) logger.debug("ssh", `auth: ${file}: ${parsed.message}`);
  }
  if (parsed instanceof UnreadableKeyError) {
    return {
      kind: "unusable",
      reason: `${parsed.message}; rewrite it in the OpenSSH format: ssh-keygen -p -f ${file}`,
    };
  }
  if (parsed instanceof Error) {
    logger.warn(`cannot use key ${file}: ${parsed.message}`);
    return { kind: "none" };
  }
  const key = Array.isArray(parsed) ? parsed[0] as ssh2.ParsedKey : parsed;
  // A key that cannot sign is better left out than offered: the server would accept it and
  // ssh2 would then fail to answer (docs/upstream/client-sign-error-is-not-fatal.md).
  const reason = prepareToSign(key);
  return reason ? { kind: "unusable", reason } : { kind: "key", key };
}

/**
 * Why a key file that others may read is not used, as ssh refuses it (sshkey_perm_ok): a key
 * of this user's with any group or other permission. A key owned by someone else is ssh's
 * business to allow (root using a service's key); Windows has no such modes.
 */
function _exposedKey(file: string): string | undefined {
  const me = Deno.uid();
  if (me === null) return undefined;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch {
    return undefined;
  }
  const mode = (info.mode ?? 0) & 0o777;
  if (info.uid !== me || (mode & 0o077) === 0) return undefined;
  const octal = mode.toString(8).padStart(4, "0");
  return `permissions ${octal} for ${
    quote(file)
  } are too open, others may read the key, so it is ignored: run chmod 600 ${quote(file)}`;
}
