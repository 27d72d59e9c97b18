/**
 * Reading a file only when it is a regular file (the server's password file, authorized_keys and
 * host keys; the client's connection and password files): a FIFO would block the read, and with
 * it the whole process, for ever.
 */

import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from "node:fs";

/** The path exists but is not a regular file (a FIFO, a device, a directory...). */
export class NotRegularFileError extends Error {
  override name = "NotRegularFileError";
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/** The file is larger than the reader takes: not the file it means, most likely. */
export class FileTooLargeError extends Error {
  override name = "FileTooLargeError";
  constructor(readonly path: string, readonly size: number, readonly max: number) {
    super(`${path} is ${size} bytes, more than ${max}`);
  }
}

/**
 * The text of `path`. Opened without blocking (O_NONBLOCK: opening a FIFO for reading waits
 * for a writer otherwise) and checked on the open descriptor, so a file swapped in between
 * cannot slip through. Throws Deno.errors.NotFound as reading would, NotRegularFileError for
 * anything but a regular file, FileTooLargeError for one over `max` bytes.
 */
export function readRegularFile(path: string, max = Infinity): string {
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
    if (st.size > max) throw new FileTooLargeError(path, st.size, max);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function _kind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a file";
}
