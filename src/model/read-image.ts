/**
 * Reading image files without trusting the path: a file is opened once,
 * without blocking (O_NONBLOCK, so a named pipe with no writer cannot hang
 * the open), and the open descriptor is fstat'ed, so what is read is what was
 * checked. Only regular files are read; named pipes, devices (a link to
 * /dev/zero), sockets and folders are refused with reason "not-a-file". The
 * size is capped before a byte is read (a sparse multi-GB file named .png is
 * refused from its size), and every read is bounded by a deadline (a hung
 * disk or network filesystem gives up with reason "timeout").
 */

import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import { ImageError } from "./image-error.js";

/** Default time for opening and reading one file: 30 s. */
export const DEFAULT_READ_TIMEOUT_MS = 30_000;

/**
 * Default byte cap for a pixel limit: the size of that many pixels stored
 * uncompressed as 8-bit RGB, plus 1 MiB for metadata (301,048,576 bytes,
 * 287 MiB, for the default 100 megapixels). An encoded image of at most that many pixels is smaller
 * unless it is a 16-bit or alpha image stored uncompressed.
 */
export function defaultMaxBytes(pixelLimit: number): number {
  return Math.ceil(pixelLimit * 3) + (1 << 20);
}

/** What identifies the file that was checked, so a second open can tell it is the same one. */
export interface FileIdentity { dev: number; ino: number; size: number; mtimeMs: number }

/** Limits on reading an image file: its largest size in bytes, the read deadline, the identity it must still have. */
export interface ReadImageOptions {
  /** Refuse files larger than this. Default {@link defaultMaxBytes} of 100 megapixels. */
  maxBytes?: number;
  /** Give up opening + reading after this many milliseconds. Default {@link DEFAULT_READ_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Refuse (reason "unreadable") a file that is no longer the one with this identity. */
  expect?: FileIdentity;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const CHUNK = 256 * 1024;

/**
 * Read an image file's bytes (a regular file, within the size cap and the deadline).
 * @throws ImageError with reason "unreadable" (naming the system error), "not-a-file", "too-large" or "timeout".
 * @example
 * const bytes = await readImageFile("photos/cat.jpg", { maxBytes: 50 << 20 });
 */
export async function readImageFile(path: string, options: ReadImageOptions = {}): Promise<Uint8Array> {
  return (await withImageFile(path, options, async (h, st, deadline) => {
    const bytes = new Uint8Array(st.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await deadline(h.read(bytes, at, Math.min(CHUNK * 4, bytes.length - at), at));
      if (bytesRead === 0) break; // it shrank meanwhile: what is there is what is decoded
      at += bytesRead;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  })).result;
}

/** A file's SHA-256 and identity, read in chunks; `bytes` kept when the file is at most `keepBytes` long. */
export interface HashedImageFile { sha256: string; identity: FileIdentity; bytes?: Uint8Array }

/**
 * Hash an image file in 256 KiB chunks (memory stays small whatever its size),
 * with the checks of {@link readImageFile}.
 * @param keepBytes files up to this size come back with their bytes (so small images are read once). Default 0.
 * @throws ImageError as {@link readImageFile}, and "empty" for a 0-byte file.
 */
export async function hashImageFile(path: string, options: ReadImageOptions & { keepBytes?: number } = {}): Promise<HashedImageFile> {
  const { result, identity } = await withImageFile(path, options, async (h, st, deadline) => {
    if (st.size === 0) throw new ImageError(path, "empty", "the file is empty (0 bytes); re-export or remove it");
    const hash = createHash("sha256");
    const keep = st.size <= (options.keepBytes ?? 0);
    const buf = new Uint8Array(keep ? st.size : Math.min(CHUNK, st.size));
    let at = 0;
    for (;;) {
      const room = keep ? buf.length - at : buf.length;
      if (room === 0) break;
      const { bytesRead } = await deadline(h.read(buf, keep ? at : 0, room, at));
      if (bytesRead === 0) break;
      hash.update(buf.subarray(keep ? at : 0, (keep ? at : 0) + bytesRead));
      at += bytesRead;
      if (at >= st.size) break; // a file that grows meanwhile is hashed as fstat saw it
    }
    return { sha256: hash.digest("hex"), bytes: keep ? buf.subarray(0, at) : undefined };
  });
  return { ...result, identity };
}

/**
 * Open an image file with the checks of {@link readImageFile} (regular file,
 * size cap, identity), run `fn` on the open descriptor under the same
 * deadline (`deadline(p)` rejects with reason "timeout" when time is up), then
 * close it. For decoders that read the file themselves (through
 * `/proc/self/fd/N`, which reopens exactly this file, not whatever the path
 * names by then).
 * @throws ImageError as {@link readImageFile}.
 */
export async function withImageFile<T>(
  path: string, o: ReadImageOptions,
  fn: (h: FileHandle, st: Stats, deadline: <R>(p: Promise<R>) => Promise<R>) => Promise<T>,
): Promise<{ result: T; identity: FileIdentity }> {
  const maxBytes = o.maxBytes ?? defaultMaxBytes(100_000_000);
  const timeoutMs = o.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const end = performance.now() + timeoutMs;
  // every system call races the one deadline; a call that never returns is left to the thread pool
  const deadline = <R>(p: Promise<R>): Promise<R> => {
    const left = end - performance.now();
    if (left <= 0) return Promise.reject(timedOut(path, timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(timedOut(path, timeoutMs)), left); });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  };
  let h: FileHandle | undefined;
  const opening = open(path, OPEN_FLAGS);
  try {
    h = await deadline(opening);
    const st = await deadline(h.stat());
    const kind = notRegular(st);
    if (kind) {
      throw new ImageError(path, "not-a-file", `is ${kind}, not a regular file; ingest reads only regular files: remove it from the folder or replace it with the image it stands for`);
    }
    if (st.size > maxBytes) {
      throw new ImageError(path, "too-large", `is ${mib(st.size)}, over the ${mib(maxBytes)} limit for one image file (a sparse or runaway file named like an image?); remove it, or raise the byte limit (--max-bytes) if it is a genuine image`);
    }
    const identity = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    if (o.expect && !sameFile(o.expect, identity)) {
      throw new ImageError(path, "unreadable", "changed while it was being ingested (it is not the file that was hashed); run ingest again");
    }
    return { result: await fn(h, st, deadline), identity };
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    if (code === "ENXIO") {
      // open(2) of a socket (or a FIFO whose other end needs a reader): not a file either way
      throw new ImageError(path, "not-a-file", "is a socket or similar special file (ENXIO), not a regular file; ingest reads only regular files: remove it from the folder", { cause: e });
    }
    throw new ImageError(path, "unreadable", `cannot be read (${code}); check that it exists and its permissions`, { cause: e });
  } finally {
    // an open that outlived the deadline still gets its descriptor closed when it returns
    if (h) void h.close().catch(() => {});
    else void opening.then((late) => late.close(), () => {}).catch(() => {});
  }
}

function notRegular(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device (such as /dev/zero)";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a folder";
  return "a special file";
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function timedOut(path: string, ms: number): ImageError {
  return new ImageError(path, "timeout", `could not be read within ${ms / 1000} s (a slow or hung disk or network filesystem?); check the storage, or raise the read timeout (--read-timeout)`);
}

function mib(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}
