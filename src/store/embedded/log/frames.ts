/**
 * The on-disk framing shared by the log and the snapshots.
 *
 * Frame:  [u32 LE length][u32 LE CRC-32 of the record][record: length bytes]
 * Record: [u32 LE json length][json header, UTF-8][zero pad to 4][f32 LE vectors...]
 *
 * A reader stops at the first frame whose length runs past the end of the
 * file or whose checksum does not match: that is a torn tail (a write the
 * process did not finish before it died) and everything from there is
 * dropped. The header is plain JSON so a log can be inspected by hand.
 */

import { closeSync, openSync, readSync } from "node:fs";
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
