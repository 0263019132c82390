/**
 * The on-disk framing shared by the log and the snapshots.
 *
 * Frame:  [u32 LE length][u32 LE CRC-32 of the record][record: length bytes]
 * Record: [u32 LE json length][json header, UTF-8][zero pad to 4][f32 LE vectors...]
 *
 * A snapshot reader stops at the first frame whose length runs past the end
 * of the file or whose checksum does not match. A log reader (scanLog) goes
 * on past a bad frame to the next offset where a whole valid frame starts,
 * so recovery can tell a torn tail (nothing valid after the damage) from
 * damage in the middle. The header is plain JSON so a log can be read by hand.
 */

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc32 } from "./crc32.js";

/** A decoded record: its JSON header and its vectors (possibly empty). */
export interface DecodedRecord {
  header: Record<string, unknown>;
  vectors: Float32Array;
}

/** Largest record the reader accepts; a larger length field is a torn/corrupt frame. */
const MAX_RECORD = 1 << 30;

/** Encode a framed record ready to append. */
export function encodeFrame(header: object, vectors?: Float32Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (4 - (json.length % 4)) % 4;
  const vbytes = vectors ? vectors.length * 4 : 0;
  const len = 4 + json.length + pad + vbytes;
  const out = Buffer.allocUnsafe(8 + len);
  out.writeUInt32LE(len, 0);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  out.fill(0, 12 + json.length, 12 + json.length + pad);
  if (vectors && vbytes) {
    const src = new Uint8Array(vectors.buffer, vectors.byteOffset, vbytes);
    out.set(src, 12 + json.length + pad);
  }
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

function decodeRecord(rec: Buffer): DecodedRecord {
  const jlen = rec.readUInt32LE(0);
  const header = JSON.parse(rec.toString("utf8", 4, 4 + jlen)) as Record<string, unknown>;
  const start = 4 + jlen + ((4 - (jlen % 4)) % 4);
  const count = (rec.length - start) >> 2;
  const vectors = new Float32Array(count);
  new Uint8Array(vectors.buffer).set(rec.subarray(start, start + count * 4));
  return { header, vectors };
}

/** What a scan of one file found. */
export interface ScanResult {
  /** Bytes of whole, valid frames from the start of the file. */
  validBytes: number;
  /** Total size of the file. */
  fileBytes: number;
  /** Why the scan stopped early, when it did. */
  stoppedBy?: string;
}

/**
 * Read every valid frame of `file` in order, calling `onRecord` for each.
 * Stops (without throwing) at the first torn or corrupt frame.
 */
export function scanFrames(file: string, onRecord: (r: DecodedRecord, offset: number) => void): ScanResult {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(8);
    let offset = 0;
    for (;;) {
      const got = readSync(fd, head, 0, 8, offset);
      if (got === 0) return { validBytes: offset, fileBytes: offset };
      const fileBytes = offset + got;
      if (got < 8) return { validBytes: offset, fileBytes, stoppedBy: "a frame header cut short" };
      const len = head.readUInt32LE(0);
      const sum = head.readUInt32LE(4);
      if (len < 4 || len > MAX_RECORD) return { validBytes: offset, fileBytes, stoppedBy: `an impossible frame length ${len}` };
      const rec = Buffer.allocUnsafe(len);
      const n = readSync(fd, rec, 0, len, offset + 8);
      if (n < len) return { validBytes: offset, fileBytes: offset + 8 + n, stoppedBy: "a frame cut short" };
      if (crc32(rec) !== sum) return { validBytes: offset, fileBytes: offset + 8 + n, stoppedBy: "a checksum mismatch" };
      let decoded: DecodedRecord;
      try {
        decoded = decodeRecord(rec);
      } catch {
        return { validBytes: offset, fileBytes: offset + 8 + n, stoppedBy: "an undecodable record" };
      }
      onRecord(decoded, offset);
      offset += 8 + len;
    }
  } finally {
    closeSync(fd);
  }
}

/** A stretch of a log that holds no valid frame. */
export interface Damage {
  /** Byte offset where the bad bytes start (the end of the last good frame before them). */
  start: number;
  /** Byte offset of the next valid frame, or the file's size when none follows. */
  end: number;
  /** What was wrong with the frame at `start`. */
  why: string;
}

/** What a resynchronizing scan of one log found. */
export interface LogScan {
  /** Size of the file. */
  fileBytes: number;
  /** Every valid frame, in order: its offset and total size (header included). */
  frames: { offset: number; bytes: number }[];
  /** The damaged stretches, in order; empty for a clean log. */
  damage: Damage[];
}

/** A whole frame (its checksum holds) whose record decodes, or whose record does not (`error`: a bug, not disk damage), or no frame. */
type FrameAt = { ok: true; rec: DecodedRecord | Error; bytes: number } | { ok: false; why: string };

/** The frame at `offset` of an open file of `size` bytes, or why there is none. */
function frameAt(fd: number, offset: number, size: number): FrameAt {
  const head = Buffer.alloc(8);
  const got = readSync(fd, head, 0, 8, offset);
  if (got < 8) return { ok: false, why: "a frame header cut short" };
  const len = head.readUInt32LE(0);
  if (len < 4 || len > MAX_RECORD) return { ok: false, why: `an impossible frame length ${len}` };
  if (offset + 8 + len > size) return { ok: false, why: "a frame cut short" };
  const rec = Buffer.allocUnsafe(len);
  const n = readSync(fd, rec, 0, len, offset + 8);
  if (n < len) return { ok: false, why: "a frame cut short" };
  if (crc32(rec) !== head.readUInt32LE(4)) return { ok: false, why: "a checksum mismatch" };
  try {
    return { ok: true, rec: decodeRecord(rec), bytes: 8 + len };
  } catch (e) {
    return { ok: true, rec: new Error(`an undecodable record: ${(e as Error).message}`), bytes: 8 + len };
  }
}

/** Window of bytes the resynchronizing search reads at a time. */
const WINDOW = 1 << 20;

/**
 * The offset of the first valid frame at or after `from`, or -1. A candidate
 * must have a length that fits in the file, a JSON length inside it and a
 * `{` where the JSON starts before its checksum is computed, so garbage and
 * zeros are passed over cheaply.
 */
function nextFrame(fd: number, from: number, size: number): number {
  const buf = Buffer.allocUnsafe(WINDOW + 16);
  for (let base = from; base + 13 <= size; base += WINDOW) {
    const got = readSync(fd, buf, 0, Math.min(WINDOW + 16, size - base), base);
    const last = Math.min(WINDOW, got - 13);
    for (let i = 0; i <= last; i++) {
      const len = buf.readUInt32LE(i);
      if (len < 5 || len > MAX_RECORD || base + i + 8 + len > size) continue;
      if (buf.readUInt32LE(i + 8) > len - 4 || buf[i + 12] !== 0x7b) continue;
      if (frameAt(fd, base + i, size).ok) return base + i;
    }
  }
  return -1;
}

/**
 * Read every valid frame of a log in order, calling `onRecord` for each,
 * and find the damaged stretches between them: after a bad frame the scan
 * resynchronizes at the next offset where a frame's length and checksum
 * check out (frames are self-delimiting). Nothing is changed on disk.
 * A whole frame whose record does not decode is a frame (it is kept by a
 * repair), passed to `onRecord` as an Error. `onRecord` may return false to
 * stop the scan (the rest is not read).
 */
export function scanLog(file: string, onRecord?: (r: DecodedRecord | Error, offset: number, bytes: number) => boolean | void): LogScan {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const frames: LogScan["frames"] = [];
    const damage: Damage[] = [];
    let offset = 0;
    while (offset < size) {
      const f = frameAt(fd, offset, size);
      if (f.ok) {
        frames.push({ offset, bytes: f.bytes });
        if (onRecord && onRecord(f.rec, offset, f.bytes) === false) break;
        offset += f.bytes;
        continue;
      }
      const next = nextFrame(fd, offset + 1, size);
      damage.push({ start: offset, end: next < 0 ? size : next, why: f.why });
      if (next < 0) break;
      offset = next;
    }
    return { fileBytes: size, frames, damage };
  } finally {
    closeSync(fd);
  }
}
