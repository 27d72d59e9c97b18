/**
 * Reading a file the server trusts (password file, authorized_keys, host key) only when it is a
 * regular file: a FIFO would block the read, and with it the whole process, for ever.
 */

import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";

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
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") {
      throw new Deno.errors.NotFound(`${path}: no such file`, { cause: err });
    }
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(path, _kind(st));
    return readFileSync(fd, "utf8");
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
