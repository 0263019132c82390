/**
 * One process per data folder: `<folder>/LOCK` holds the owner's PID. A
 * second process gets a StoreError naming the folder and that PID; a lock
 * left by a process that no longer runs (a crash, kill -9) is taken over.
 */

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../errors.js";

/** A held lock; `release()` removes the file if it is still ours. */
export interface FolderLock {
  readonly file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take the lock of `folder`.
 * @throws StoreError when another live process holds it.
 */
export function lockFolder(folder: string): FolderLock {
  const file = join(folder, "LOCK");
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new StoreError(`cannot create the lock file ${file}: ${(e as Error).message}; check that the folder is writable`, { cause: e });
      }
      let owner: { pid?: number; host?: string } = {};
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as typeof owner;
      } catch {
        // empty or half-written: its writer died between open and write
      }
      const pid = owner.pid;
      const otherHost = typeof owner.host === "string" && owner.host !== hostname();
      if (typeof pid === "number" && (otherHost || pid === process.pid || alive(pid))) {
        throw new StoreError(
          `the store folder ${folder} is in use by process ${pid}${otherHost ? ` on host ${owner.host}` : ""}${pid === process.pid ? " (this process)" : ""}; ` +
            `stop that process, or use another --path. If no margin store runs there, delete ${file}`,
        );
      }
      try {
        unlinkSync(file); // stale: its process is gone
      } catch {
        // someone else took it over first; try again
      }
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
    closeSync(fd);
    return {
      file,
      release() {
        try {
          const owner = JSON.parse(readFileSync(file, "utf8")) as { pid?: number };
          if (owner.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new StoreError(`could not take the lock ${file}: other processes keep taking it; is another store starting on ${folder}?`);
}
