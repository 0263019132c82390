/**
 * One process per data folder: `<folder>/LOCK` holds the owner's PID and
 * host. A second process gets a StoreError naming the folder and that PID;
 * a lock left by a process that no longer runs (a crash, kill -9) is taken
 * over. The lock file appears whole (written aside, then hard-linked into
 * place, which fails if one exists), so a reader never sees it half-written.
 */

import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";

/** A held lock; `release()` removes the file if it is still ours. */
export interface FolderLock {
  readonly file: string;
  release(): void;
}

interface Owner {
  pid?: number;
  host?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(file: string): Owner | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Owner;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? null : {}; // unreadable: stale
  }
}

/**
 * Take the lock of `folder`.
 * @throws StoreError when another live process holds it.
 */
export function lockFolder(folder: string): FolderLock {
  const file = join(folder, "LOCK");
  const mine = `${file}.${process.pid}.tmp`;
  const me = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  try {
    writeFileSync(mine, JSON.stringify(me));
  } catch (cause) {
    throw new StoreError(`cannot create the lock file in ${folder}: ${(cause as Error).message}; check that the folder is writable`, { cause });
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, file);
        return {
          file,
          release() {
            if (readOwner(file)?.pid === process.pid) {
              try {
                unlinkSync(file);
              } catch {
                // already gone
              }
            }
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new StoreError(`cannot create the lock file ${file}: ${(e as Error).message}; check that the folder is writable`, { cause: e });
        }
      }
      const owner = readOwner(file);
      if (!owner) continue; // released meanwhile
      const pid = owner.pid;
      const otherHost = typeof owner.host === "string" && owner.host !== hostname();
      if (typeof pid === "number" && (otherHost || pid === process.pid || alive(pid))) {
        throw new StoreError(
          `the store folder ${folder} is in use by process ${pid}${otherHost ? ` on host ${owner.host}` : ""}${pid === process.pid ? " (this process)" : ""}; ` +
            `stop that process, or use another --path. If no margin store runs there, delete ${file}`,
        );
      }
      // stale: move it aside, and put it back if what we moved was a fresh lock of someone faster
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // someone else moved it first
      }
      const moved = readOwner(aside);
      if (moved && moved.pid !== pid) {
        try {
          linkSync(aside, file);
        } catch {
          // a third process holds it now; ours to report on the next attempt
        }
      }
      unlinkSync(aside);
    }
    throw new StoreError(`could not take the lock ${file}: other processes keep taking it; is another store starting on ${folder}?`);
  } finally {
    unlinkSync(mine);
  }
}
