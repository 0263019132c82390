/**
 * One process per data folder: `<folder>/LOCK` holds the owner's PID, host,
 * and where /proc exists, the kernel's boot id and the process's start time
 * (field 22 of /proc/<pid>/stat, in clock ticks since boot). A second process
 * gets a StoreError naming the folder and that PID; a lock left by a process
 * that no longer runs (a crash, kill -9) is taken over. The start time is
 * what makes that safe when PIDs repeat: a PID reused by another process, or
 * PID 1 of a restarted container (`unshare --pid`, `docker restart`), shows
 * a different start time than the one recorded, so the lock is stale; a
 * different boot id means the machine restarted since. Without /proc the
 * PID alone decides, as before. The lock file appears whole (written aside,
 * then hard-linked into place, which fails if one exists), so a reader
 * never sees it half-written.
 */

import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../errors.js";

/** A held lock; `release()` removes the file if it is still ours. */
export interface FolderLock {
  readonly file: string;
  release(): void;
}

interface Owner {
  pid?: number;
  host?: string;
  boot?: string;
  start?: string;
}

/** The kernel's boot id, or null without /proc. */
function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when there is no such process or no /proc. */
function startTime(pid: number | "self"): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count fields after its closing ")"
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the lock held by a live process? A lock this code cannot judge is held (the user is asked to check). */
function held(owner: Owner): boolean {
  const pid = owner.pid;
  if (typeof pid !== "number") return false; // unreadable: stale
  const otherHost = typeof owner.host === "string" && owner.host !== hostname();
  const boot = bootId();
  if (boot && typeof owner.boot === "string" && typeof owner.start === "string") {
    // same kernel (a container's host name may change): the PID and its start time decide
    if (owner.boot === boot) return startTime(pid) === owner.start;
    return otherHost; // another boot of this machine is stale; another machine we cannot see
  }
  return otherHost || pid === process.pid || alive(pid);
}

const sameOwner = (a: Owner | null, b: Owner) => a !== null && a.pid === b.pid && a.start === b.start && a.boot === b.boot;

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
  const boot = bootId();
  const start = startTime("self");
  // PID and start time: two PID 1s of different containers sharing the folder do not share these names
  const tag = `${process.pid}-${start ?? Date.now()}`;
  const mine = `${file}.${tag}.tmp`;
  const me: Owner & { started: string } = { pid: process.pid, host: hostname(), ...(boot && start ? { boot, start } : {}), started: new Date().toISOString() };
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
            if (sameOwner(readOwner(file), me)) {
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
      if (held(owner)) {
        const pid = owner.pid!;
        const otherHost = typeof owner.host === "string" && owner.host !== hostname() && owner.boot !== boot;
        throw new StoreError(
          `the store folder ${folder} is in use by process ${pid}${otherHost ? ` on host ${owner.host}` : ""}${sameOwner(owner, me) ? " (this process)" : ""}; ` +
            `stop that process, or use another --path. If no margin store runs there, delete ${file}`,
        );
      }
      // stale: move it aside, and put it back if what we moved was a fresh lock of someone faster
      const aside = `${file}.stale-${tag}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // someone else moved it first
      }
      const moved = readOwner(aside);
      if (moved && !sameOwner(moved, owner)) {
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
