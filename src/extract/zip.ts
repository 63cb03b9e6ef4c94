/**
 * A ZIP archive's entries, read from its central directory, each inflated with a cap on
 * its output: how DOCX files are checked before mammoth opens them. A 600 KB DOCX can hold
 * gigabytes of XML; zlib's `maxOutputLength` stops the inflation at the cap instead of
 * after the damage (mammoth's JSZip inflates whatever the archive holds).
 *
 * Not a general ZIP reader: no ZIP64, no encryption, methods 0 (stored) and 8 (deflate)
 * only, which is what Office writes.
 */
import { inflateRawSync } from 'node:zlib';
import { LodestoneError } from '../core/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  /** As the archive declares it (a bomb may lie; `inflateEntry` does not trust it). */
  declaredSize: number;
  /** Offset of the entry's local header. */
  offset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function bad(why: string): LodestoneError {
  return new LodestoneError('unsupported_format', `not a readable DOCX (ZIP): ${why}`);
}

/** The entries listed in the central directory. */
export function zipEntries(buf: Buffer): ZipEntry[] {
  // The end-of-central-directory record sits in the last 22 + 65,535 bytes (comment).
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw bad('ZIP64 archives are not read');
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw bad('broken central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    out.push({
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      declaredSize: buf.readUInt32LE(p + 24),
      offset: buf.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** An entry's bytes, inflated to at most `maxBytes` (past it: too_large). */
export function inflateEntry(buf: Buffer, e: ZipEntry, maxBytes: number): Buffer {
  const h = e.offset;
  if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) throw bad(`broken entry ${e.name}`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) {
    if (data.length > maxBytes) throw tooLarge(e.name, maxBytes);
    return data;
  }
  if (e.method !== 8) throw bad(`entry ${e.name} uses compression method ${e.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(e.name, maxBytes);
    throw bad(`entry ${e.name} does not inflate: ${(err as Error).message}`);
  }
}

function tooLarge(name: string, maxBytes: number): LodestoneError {
  return new LodestoneError('too_large', `${name} inflates to more than ${Math.round(maxBytes / 1024 / 1024)} MB (a ZIP bomb, or a document too large to read)`);
}
