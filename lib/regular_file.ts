/**
 * Reading a file only when it is a regular file (the server's password file, authorized_keys and
 * host keys; the client's connection and password files), and one a client reads (ssh_config,
 * known_hosts, a key) only when it is no FIFO or socket: a FIFO would block the read, and with
 * it the whole process, for ever.
 */

import { Buffer } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { fileErrorText, SockhopError } from "./errors.ts";
import { quote } from "./safe_text.ts";

/** The path exists but is not a regular file (a FIFO, a device, a directory...). */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/**
 * The most any reader here takes of one file: 16 MiB. Every file read is named by someone
 * (a known_hosts, a config, a key, a password or connection file); one far larger is not the
 * file meant (a sparse 3 GB UserKnownHostsFile was once read whole), and a device such as
 * /dev/zero never ends.
 */
export const FILE_MAX = 16 * 1024 * 1024;

/** The file is larger than the reader takes: not the file it means, most likely. */
export class FileTooLargeError extends SockhopError {
  override name = "FileTooLargeError";
  /** `size`: its size, or undefined when only the read found it too long (a device). */
  constructor(readonly path: string, readonly size: number | undefined, readonly max: number) {
    super(
      `${quote(path)} is ${
        size === undefined ? "longer than" : `${size} bytes, more than`
      } ${max} bytes: is it the right file?`,
      "usage-file",
    );
  }
}

/**
 * The text of `path`. Opened without blocking (O_NONBLOCK: opening a FIFO for reading waits
 * for a writer otherwise) and checked on the open descriptor, so a file swapped in between
 * cannot slip through. Throws Deno.errors.NotFound as reading would, NotRegularFileError for
 * anything but a regular file, FileTooLargeError for one over `max` bytes.
 */
export function readRegularFile(path: string, max = FILE_MAX): string {
  return _read(path, (st) => st.isFile(), max).toString("utf8");
}

/**
 * The bytes of a file a client reads (ssh_config, known_hosts, a key), where a device such as
 * /dev/null is common and fine, but a FIFO or a socket would block for ever: those are refused
 * (NotRegularFileError, as is a directory), the rest read as `readRegularFile` reads, at most
 * `max` bytes of it.
 */
export function readUnblockingFile(path: string, max = FILE_MAX): Uint8Array {
  return _read(path, (st) => !st.isFIFO() && !st.isSocket() && !st.isDirectory(), max);
}

function _read(path: string, accept: (st: Stats) => boolean, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new Deno.errors.NotFound(`${path}: no such file`, { cause: err });
    if (code === "EACCES") {
      throw new Deno.errors.PermissionDenied(`Permission denied: ${path}`, { cause: err });
    }
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!accept(st)) throw new NotRegularFileError(path, _kind(st));
    if (st.size > max) throw new FileTooLargeError(path, st.size, max);
    return _readAtMost(fd, path, max);
  } finally {
    closeSync(fd);
  }
}

/** Read `fd` to its end, but never more than `max` bytes: a device has no size to check. */
function _readAtMost(fd: number, path: string, max: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, max + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) throw new FileTooLargeError(path, undefined, max);
  }
}

function _kind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a file";
}

/**
 * At start, a file given to the server must be a regular file (`what` names its flag): a FIFO
 * would block for ever (and the server with it). Checked with stat, which never blocks; a
 * missing file passes (the reader says what it does without it).
 */
export function refuseNotRegular(path: string, what: string) {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isFile) {
    const kind = info.isFifo
      ? "a FIFO"
      : info.isDirectory
      ? "a directory"
      : info.isSocket
      ? "a socket"
      : "not a regular file";
    throw new SockhopError(`${what} ${path} is ${kind}: give a regular file`, "auth-file-type");
  }
}

/**
 * A small regular file the user named (a connection file, a --password-file): its text, with
 * errors worded for the user (`what` names it). Anything else (a FIFO, a device,
 * a directory) is refused before it is read, so that nothing blocks; the file is opened
 * non-blocking and checked on the open descriptor, so a swap after the check changes nothing.
 */
export function readUserFile(path: string, what: string, max = FILE_MAX): string {
  try {
    return readRegularFile(path, max);
  } catch (err) {
    if (err instanceof NotRegularFileError) {
      throw new SockhopError(
        `${what} ${quote(path)} is not a regular file (${err.kind}): give the path of a file`,
        "usage-file",
      );
    }
    if (err instanceof FileTooLargeError) {
      throw new SockhopError(`${what} ${err.message}`, "usage-file");
    }
    // What the system said when opening it (a missing file, a directory it cannot enter).
    throw new SockhopError(
      `Cannot read ${what} ${quote(path)}: ${fileErrorText(err)}`,
      "usage-file",
      {
        cause: err,
      },
    );
  }
}
