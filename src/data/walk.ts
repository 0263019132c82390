/**
 * Walking an image folder: recursive, in a stable (sorted) order, following
 * symbolic links but never entering a directory that is already on the
 * current path (so link loops end), skipping hidden files and folders. A
 * folder reached by two links is walked twice; its images then have the same
 * bytes and ingestion counts the second sight as a duplicate. An image's label is the name of
 * the first sub-folder under the root. Anything with an image extension that is
 * not a folder is yielded, named pipes, devices and sockets (or links to them)
 * included: the reader opens each once and refuses what is not a regular file,
 * so it is reported rather than silently passed over (and no check here can
 * race a swap of the file).
 */

import { opendir, realpath, stat } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { DataError } from "../errors.js";

/** File extensions ingestion looks at (lower case, with the dot). */
export const IMAGE_EXTENSIONS = [
  ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif",
] as const;

/** One file found by {@link walkImages}. */
export interface WalkEntry {
  /** Absolute path, as reached (links not resolved). */
  path: string;
  /** Path relative to the root, with "/" separators. */
  relativePath: string;
  /** The first sub-folder under the root; undefined for files at the top. */
  label?: string;
}

/** Which file extensions {@link walkImages} counts as images. */
export interface WalkOptions {
  /** Extensions to keep (lower case, with the dot). Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
}

/**
 * Yield every image file under `root`, depth first, names sorted.
 * @throws DataError when `root` is missing or not a directory.
 * @example
 * for await (const f of walkImages("samples/fashion-mnist")) console.log(f.label, f.relativePath);
 */
export async function* walkImages(root: string, options: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const exts = new Set(options.extensions ?? IMAGE_EXTENSIONS);
  let st;
  try {
    st = await stat(root);
  } catch (e) {
    throw new DataError(`image folder ${root} cannot be opened (${(e as NodeJS.ErrnoException).code}); check the path`, { cause: e });
  }
  if (!st.isDirectory()) throw new DataError(`image folder ${root} is not a directory; pass the folder that holds the images`);
  yield* visit(root, root, exts, new Set<string>());
}

async function* visit(root: string, dir: string, exts: Set<string>, ancestors: Set<string>): AsyncGenerator<WalkEntry> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return; // a dangling link: nothing to walk
  }
  if (ancestors.has(real)) return; // a symlink loop
  const chain = new Set(ancestors).add(real);
  const names: { name: string; dirent: import("node:fs").Dirent }[] = [];
  try {
    for await (const d of await opendir(dir)) {
      if (!d.name.startsWith(".")) names.push({ name: d.name, dirent: d });
    }
  } catch {
    return; // unreadable folder: its files cannot be listed (reported as empty)
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name, dirent } of names) {
    const path = join(dir, name);
    let isDir = dirent.isDirectory();
    if (dirent.isSymbolicLink()) {
      try {
        isDir = (await stat(path)).isDirectory();
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) {
      yield* visit(root, path, exts, chain);
    } else if (exts.has(extname(name).toLowerCase())) {
      const rel = relative(root, path).split(sep).join("/");
      const slash = rel.indexOf("/");
      yield { path, relativePath: rel, label: slash > 0 ? rel.slice(0, slash) : undefined };
    }
  }
}
