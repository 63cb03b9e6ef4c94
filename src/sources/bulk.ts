/**
 * Bulk files as byte streams: plain or gzip, UTF-8 or UTF-16 (by byte-order mark, recoded
 * to UTF-8 on the way), with a cap on the gzip ratio; and a streaming reader of JSON arrays
 * that yields one element at a time, so a 1 GB `.json` is read like NDJSON — never whole.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LodestoneError } from '../core/errors.js';

/**
 * Past this much output, a gzip stream may inflate to at most this many times its input.
 * NDJSON news compresses 4-10x; a stream of newlines, 1,000x.
 */
export const GZIP_MAX_RATIO = 100;
const GZIP_RATIO_AFTER = 64 * 1024 * 1024;

export interface BulkStream {
  /** UTF-8 bytes of the file's content (decompressed, byte-order mark removed). */
  chunks: AsyncIterable<Buffer>;
  /** Bytes of the file read so far (for progress). */
  bytesRead(): number;
}

/** Opens a bulk file; `signal` ends the read (an ingest abandoned by its client). */
export function openBulk(path: string, gzip: boolean, signal?: AbortSignal): BulkStream {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  let stream: Readable = file;
  if (gzip) {
    const gunzip = createGunzip();
    let out = 0;
    gunzip.on('data', (c: Buffer) => {
      out += c.length;
      if (out > GZIP_RATIO_AFTER && out > file.bytesRead * GZIP_MAX_RATIO) {
        gunzip.destroy(
          new LodestoneError('too_large', `it inflates to more than ${GZIP_MAX_RATIO} times its size (a gzip bomb?); not read further`),
        );
      }
    });
    stream = file.pipe(gunzip);
    file.on('error', (e) => gunzip.destroy(e));
  }
  if (signal) {
    const stop = () => stream.destroy(new LodestoneError('aborted', 'abandoned: the client went away'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    stream.on('close', () => signal.removeEventListener('abort', stop));
  }
  return { chunks: recodeToUtf8(stream as AsyncIterable<Buffer>), bytesRead: () => file.bytesRead };
}

/** Drops a UTF-8 byte-order mark; recodes UTF-16 (by its mark) to UTF-8. */
async function* recodeToUtf8(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let first = true;
  let head = Buffer.alloc(0);
  for await (const raw of src) {
    let chunk = raw;
    if (first) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) continue; // too short to tell yet
      first = false;
      chunk = head;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      else if (chunk[0] === 0xff && chunk[1] === 0xfe) {
        decoder = new TextDecoder('utf-16le');
        chunk = chunk.subarray(2);
      } else if (chunk[0] === 0xfe && chunk[1] === 0xff) {
        decoder = new TextDecoder('utf-16be');
        chunk = chunk.subarray(2);
      }
    }
    yield decoder ? Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8') : chunk;
  }
  if (first && head.length > 0) yield head;
  if (decoder) {
    const rest = decoder.decode();
    if (rest) yield Buffer.from(rest, 'utf8');
  }
}

export type ArrayItem = { kind: 'item'; index: number; text: string } | { kind: 'bad'; index: number; reason: string };

/** A byte a JSON value can start with: { [ " - 0-9 t f n. */
function startsValue(b: number): boolean {
  return b === 0x7b || b === 0x5b || b === 0x22 || b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Elements of a top-level JSON array, one at a time, each as its own JSON text (parsed by
 * the caller, so one malformed element is one error). The stream must start with `[`
 * (after whitespace). Elements over `maxItemBytes` are reported, not kept.
 */
export async function* jsonArrayItems(chunks: AsyncIterable<Buffer>, maxItemBytes: number): AsyncGenerator<ArrayItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // 0: before '[', 1: between elements, 2: inside an element, 3: after ']'
  let state = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let over = false;
  const emit = (): ArrayItem => {
    const i = index++;
    if (over) return { kind: 'bad', index: i, reason: `element longer than ${maxItemBytes} bytes` };
    try {
      return { kind: 'item', index: i, text: decoder.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts)) };
    } catch {
      return { kind: 'bad', index: i, reason: 'invalid UTF-8' };
    }
  };
  const keep = (chunk: Buffer, from: number, to: number) => {
    if (over || to <= from) return;
    size += to - from;
    if (size > maxItemBytes) {
      over = true;
      parts = [];
    } else parts.push(chunk.subarray(from, to));
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (state === 2) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) inString = false;
          continue;
        }
        if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          if (depth > 0) depth--;
          else {
            // ']' closing the array ends the last element.
            keep(chunk, start, i);
            yield emit();
            state = 3;
          }
        } else if (b === 0x2c && depth === 0) {
          keep(chunk, start, i);
          yield emit();
          state = 1;
        }
        continue;
      }
      if (isSpace(b)) continue;
      if (state === 0) {
        if (b !== 0x5b) throw new LodestoneError('invalid_input', 'not a JSON array: it does not start with "["');
        state = 1;
      } else if (state === 1) {
        if (b === 0x5d && index === 0) state = 3; // []
        else if (!startsValue(b)) {
          // Not JSON (a NUL of a sparse file, a stray comma): refused here, not after reading the rest.
          throw new LodestoneError('invalid_input', `not a JSON array: element ${index + 1} starts with byte 0x${b.toString(16).padStart(2, '0')}`);
        } else {
          state = 2;
          depth = 0;
          inString = false;
          escaped = false;
          parts = [];
          size = 0;
          over = false;
          start = i;
          i--; // read this byte again as part of the element
        }
      } else {
        throw new LodestoneError('invalid_input', 'unexpected text after the end of the JSON array');
      }
    }
    if (state === 2) keep(chunk, start, chunk.length);
  }
  if (state === 2 || state === 1) throw new LodestoneError('invalid_input', 'the JSON array is not closed with "]" (truncated file?)');
  if (state === 0) throw new LodestoneError('invalid_input', 'empty file');
}
