/**
 * Bytes -> text with the right charset. Order: byte-order mark, the declared charset (HTTP
 * header or HTML meta), strict UTF-8, then statistical detection (chardet) — GBK, GB18030
 * and Big5 pages are common on Chinese sites and often undeclared. Node's TextDecoder
 * (full ICU) does the decoding.
 */
import chardet from 'chardet';
import { LodestoneError } from '../core/errors.js';

/** Labels browsers treat as aliases of something TextDecoder knows better. */
const ALIASES: Record<string, string> = { gb2312: 'gbk', 'x-gbk': 'gbk', cp936: 'gbk', big5hkscs: 'big5' };

export function normalizeCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  const l = label.trim().toLowerCase().replace(/^["']|["']$/g, '');
  const name = ALIASES[l] ?? l;
  try {
    new TextDecoder(name);
    return name;
  } catch {
    return null;
  }
}

/** Looks like a binary file: NUL bytes or many control characters in the first 8 KB. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 7 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  return n > 0 && control / n > 0.1;
}

/** The charset declared in an HTML or XML prologue, if any (first 2 KB, ASCII-compatible). */
export function sniffDeclaredCharset(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('latin1');
  const meta =
    /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head) ?? /<\?xml[^>]+encoding\s*=\s*["']([\w-]+)["']/i.exec(head);
  return meta ? normalizeCharset(meta[1]) : null;
}

export interface Decoded {
  text: string;
  charset: string;
}

export function decodeBytes(bytes: Uint8Array, declared?: string | null): Decoded {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), charset: 'utf-8' };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), charset: 'utf-16le' };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), charset: 'utf-16be' };
  const label = normalizeCharset(declared) ?? sniffDeclaredCharset(bytes);
  if (label && label !== 'utf-8') return { text: new TextDecoder(label).decode(bytes), charset: label };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), charset: 'utf-8' };
  } catch {
    // not UTF-8: fall through to detection
  }
  const guess = normalizeCharset(chardet.detect(bytes)) ?? 'gb18030';
  if (looksBinary(bytes)) throw new LodestoneError('unsupported_format', 'binary content, not text');
  return { text: new TextDecoder(guess).decode(bytes), charset: guess };
}
