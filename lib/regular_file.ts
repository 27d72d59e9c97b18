/**
 * Reading a file the server trusts (password file, authorized_keys, host key) only when it is a
 * regular file, and one a client reads only when it is no FIFO or socket: a FIFO would block
 * the read, and with it the whole process, for ever.
 */

import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from "node:fs";

/** The path exists but is not a regular file (a FIFO, a device, a directory...). */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/**
 * The text of `path`. Opened without blocking (O_NONBLOCK: opening a FIFO for reading waits
 * for a writer otherwise) and checked on the open descriptor, so a file swapped in between
 * cannot slip through. Throws Deno.errors.NotFound as reading would, NotRegularFileError for
 * anything but a regular file.
 */
export function readRegularFile(path: string): string {
  return _read(path, (st) => st.isFile()).toString("utf8");
}

/**
 * The bytes of a file a client reads (ssh_config, known_hosts, a key), where a device such as
 * /dev/null is common and fine, but a FIFO or a socket would block for ever: those are refused
 * (NotRegularFileError, as is a directory), the rest read as `readRegularFile` reads.
 */
export function readUnblockingFile(path: string): Uint8Array {
  return _read(path, (st) => !st.isFIFO() && !st.isSocket() && !st.isDirectory());
}

function _read(path: string, accept: (st: Stats) => boolean): Buffer {
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
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function _kind(st: { isFIFO(): boolean; isDirectory(): boolean; isSocket(): boolean }): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  return "a device";
}
