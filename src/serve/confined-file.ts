/**
 * Serving a file from under a folder (the page, the thumbnails under
 * `--images`) with no window between the check and the read.
 *
 * Resolving the path, checking it, then opening it by name is a race: a
 * folder on the way can be swapped for a symlink to the outside between the
 * check and the open. So the file is opened ONCE and the check is made on
 * what was opened, the descriptor:
 *
 *  - on Linux, `/proc/self/fd/N` names the file the descriptor really refers
 *    to (the kernel's path of the opened dentry, symlinks already followed):
 *    it must lie under the real root;
 *  - elsewhere, the real path of the name is resolved after the open and must
 *    lie under the root AND be the same file (device + inode) as the
 *    descriptor. A swap before the open makes the descriptor an outside file
 *    while the name resolves inside (a different inode: refused); a swap after
 *    the open cannot change what the descriptor reads.
 *
 * The descriptor is then streamed, so what was checked is what is sent. The
 * open is non-blocking (a FIFO under the folder cannot hang the request) and
 * anything but a regular file is refused.
 */

import { constants } from "node:fs";
import { type FileHandle, open, readlink, realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ApiError, notFound, sendOpenFile, type OpenFile } from "./http.js";

/** A file opened under a root and checked: read it through `handle`, then close it. */
export type ConfinedFile = OpenFile;

function inside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r !== "" && !r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r);
}

/** The real path behind an open descriptor, or null where the platform cannot say (then the inode check decides). */
async function pathOfDescriptor(fd: number): Promise<string | null> {
  if (process.platform !== "linux") return null;
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return null; // /proc not mounted (some containers)
  }
}

/**
 * Open `rel` under `root`, refusing anything whose opened file is not under the real root.
 * @throws ApiError 400 for a NUL byte, 403 for a path that leaves the root (by name or by link),
 *   404 for a missing file or one that is not a regular file.
 */
export async function openConfined(root: string, rel: string): Promise<ConfinedFile> {
  if (rel.includes("\0")) throw new ApiError(400, "E_INPUT", "the path holds a NUL byte");
  if (isAbsolute(rel)) throw new ApiError(403, "E_INPUT", `path ${JSON.stringify(rel)} is absolute; only files under the served folder are served`);
  const realRoot = await realpath(root).catch((e) => {
    throw new ApiError(500, "E_INPUT", `the served folder ${root} cannot be read (${(e as NodeJS.ErrnoException).code})`, { cause: e });
  });
  const lexical = resolve(realRoot, rel);
  if (!inside(realRoot, lexical)) throw new ApiError(403, "E_INPUT", `path ${JSON.stringify(rel)} leaves the served folder`);
  let handle: FileHandle;
  try {
    handle = await open(lexical, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw notFound(`no file ${JSON.stringify(rel)} under the served folder`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notFound(`${JSON.stringify(rel)} is not a file`);
    let real = await pathOfDescriptor(handle.fd);
    if (real === null) {
      real = await realpath(lexical).catch(() => "");
      const now = real ? await stat(real).catch(() => null) : null;
      if (!now || now.dev !== st.dev || now.ino !== st.ino) {
        throw new ApiError(403, "E_INPUT", `path ${JSON.stringify(rel)} changed while it was opened; it is not served`);
      }
    }
    if (!inside(realRoot, real)) throw new ApiError(403, "E_INPUT", `path ${JSON.stringify(rel)} links outside the served folder`);
    return { handle, size: st.size, real };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Open `rel` under `root` and send it: {@link openConfined} then {@link sendOpenFile} (it reads the checked descriptor, never the name again). */
export async function serveConfined(req: IncomingMessage, res: ServerResponse, root: string, rel: string, cache?: string): Promise<void> {
  await sendOpenFile(req, res, await openConfined(root, rel), cache);
}
