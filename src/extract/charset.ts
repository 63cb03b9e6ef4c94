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

/** The encoding a byte-order mark announces, and the mark's length. */
export function bomOf(bytes: Uint8Array): { charset: 'utf-8' | 'utf-16le' | 'utf-16be'; length: number } | null {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { charset: 'utf-8', length: 3 };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  return null;
}

/**
 * UTF-16 without a byte-order mark, when most of the text is ASCII: every other byte is
 * zero (on odd offsets for little-endian). Chinese UTF-16 without a mark is not guessed.
 */
function unmarkedUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 8192) & ~1;
  if (n < 16) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const half = n / 2;
  if (oddZero > half * 0.6 && evenZero < half * 0.02) return 'utf-16le';
  if (evenZero > half * 0.6 && oddZero < half * 0.02) return 'utf-16be';
  return null;
}

/**
 * Bytes -> text. A byte-order mark decides first (UTF-16 files are full of NUL bytes and
 * must not be taken for binary), then binary content is refused, then the declared
 * charset, strict UTF-8 and detection.
 */
export function decodeBytes(bytes: Uint8Array, declared?: string | null): Decoded {
  const bom = bomOf(bytes);
  if (bom) return { text: new TextDecoder(bom.charset).decode(bytes.subarray(bom.length)), charset: bom.charset };
  const utf16 = unmarkedUtf16(bytes);
  if (utf16) return { text: new TextDecoder(utf16).decode(bytes), charset: utf16 };
  if (looksBinary(bytes)) throw new LodestoneError('unsupported_format', 'binary content, not text');
  const label = normalizeCharset(declared) ?? sniffDeclaredCharset(bytes);
  if (label && label !== 'utf-8' && !label.startsWith('utf-16')) return { text: new TextDecoder(label).decode(bytes), charset: label };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), charset: 'utf-8' };
  } catch {
    // not UTF-8: fall through to detection
  }
  // Without a mark and with no zero bytes, a UTF-16 guess is wrong: Chinese sites mean GB18030.
  const guessed = normalizeCharset(chardet.detect(bytes)) ?? 'gb18030';
  const charset = guessed.startsWith('utf-16') || guessed.startsWith('utf-32') ? 'gb18030' : guessed;
  return { text: new TextDecoder(charset).decode(bytes), charset };
}
