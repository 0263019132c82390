/** Small durable-file helpers: fsync a folder, write a file atomically. */

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/** fsync a directory so a create / rename / unlink in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } catch (e) {
    // some file systems refuse fsync on a directory; the rename is still atomic there
    if ((e as NodeJS.ErrnoException).code !== "EINVAL" && (e as NodeJS.ErrnoException).code !== "EISDIR") throw e;
  } finally {
    closeSync(fd);
  }
}

/** Write `text` to `file` via a fsynced temp file and a rename: readers see the old or the new file, never half. */
export function writeFileDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(file.slice(0, Math.max(file.lastIndexOf("/"), 1)));
}
