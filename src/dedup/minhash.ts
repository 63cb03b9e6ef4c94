/**
 * Near-duplicate fingerprints: MinHash over character shingles, computed with one
 * permutation hashing (one hash per shingle, K bins, empty bins densified by rotation —
 * Shrivastava & Li 2014), so the cost is linear in the text length instead of K times it.
 * Locality-sensitive hashing splits the K values into bands; two texts whose signatures
 * agree on all rows of any band become candidates, then the estimated Jaccard decides.
 */
import { hash32, mix32 } from '../core/hash.js';
import { foldText } from '../analysis/normalize.js';

/** Number of MinHash values (bins). */
export const K = 64;
/**
 * LSH bands x rows (60 of the 64 values). Candidate probability 1-(1-J^6)^10: 0.72 at
 * Jaccard 0.7, 0.95 at 0.8, 0.9996 at 0.9. Truncated copies (one outlet carries only the
 * lead) have low Jaccard but share their opening, which the lead key catches (leadKey).
 */
export const BANDS = 10;
export const ROWS = 6;
/** Shingle size in characters of normalized text. */
export const SHINGLE = 4;

const BIN_BITS = 6; // log2(K)
const EMPTY = 0xffffffff;

/** Text normalized for fingerprints: folded, with whitespace and punctuation removed. */
export function normalizeForFingerprint(text: string, alreadyFolded = false): string {
  return (alreadyFolded ? text : foldText(text)).replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * The text two copies of a story share: title plus body, without the outlet's own
 * furniture — a leading 【headline】 (财联社 repeats its title so) and a dateline such as
 * "财联社5月14日电，" — so copies from different outlets line up from the first character.
 */
export function fingerprintText(title: string, body: string, alreadyFolded = false): string {
  const stripped = body
    .replace(/^\s*【[^】]{0,120}】/, '')
    .replace(/^[^，,。\n]{0,16}?\d{1,2}月\d{1,2}日(?:电|讯|消息|晚间|早间)?[，,：:\s]?/, '');
  return normalizeForFingerprint(`${title}${stripped}`, alreadyFolded);
}

/** Characters of normalized text that make up the lead key. */
export const LEAD_CHARS = 24;
/** Band number reserved for the lead key in the LSH table. */
export const LEAD_BAND = 15;

/** Key of the opening of a fingerprint text: equal openings make candidates. */
export function leadKey(normalized: string): number | null {
  const chars = Array.from(normalized);
  if (chars.length < 12) return null;
  return LEAD_BAND * 2 ** 32 + hash32(chars.slice(0, LEAD_CHARS).join(''));
}

/** Band number reserved for the exact-copy key in the LSH table. */
export const EXACT_BAND = 16;

/**
 * Key of a normalized-content hash (the analysis' normHash, hex): documents with equal
 * hashes share it, so exact copies are found in the same in-memory buckets as near ones
 * (the caller compares the whole hash). Null for an empty text.
 */
export function exactKey(normHash: string): number | null {
  if (normHash.length < 8) return null;
  return EXACT_BAND * 2 ** 32 + Number.parseInt(normHash.slice(0, 8), 16);
}

/** Number of shingles of a normalized text (for containment estimates). */
export function shingleCount(normalized: string): number {
  const n = Array.from(normalized).length;
  return n === 0 ? 0 : Math.max(1, n - SHINGLE + 1);
}

/**
 * Containment of the smaller shingle set in the larger, estimated from Jaccard J and the
 * set sizes: |A∩B| = J(|A|+|B|)/(1+J).
 */
export function containment(j: number, sizeA: number, sizeB: number): number {
  const small = Math.min(sizeA, sizeB);
  if (small === 0) return 0;
  return Math.min(1, (j * (sizeA + sizeB)) / ((1 + j) * small));
}

/** Code points of a string (shingles are over characters, not UTF-16 units). */
function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      out[n++] = s.codePointAt(i)!;
      i++;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** Hash of the SHINGLE code points starting at i (fewer at the end of short texts). */
function shingleHash(cps: Int32Array, i: number, n: number): number {
  let h = 0x9747b28c;
  const end = Math.min(n, i + SHINGLE);
  for (let k = i; k < end; k++) h = Math.imul(h ^ cps[k]!, 0x01000193);
  return mix32(h);
}

/** MinHash signature (K unsigned 32-bit values) of a normalized string. */
export function minhash(normalized: string): Uint32Array {
  const sig = new Uint32Array(K).fill(EMPTY);
  const cps = codePoints(normalized);
  const n = cps.length;
  if (n === 0) return sig;
  const count = Math.max(1, n - SHINGLE + 1);
  const mask = (1 << (32 - BIN_BITS)) - 1;
  for (let i = 0; i < count; i++) {
    const h = shingleHash(cps, i, n);
    const bin = h >>> (32 - BIN_BITS);
    const v = h & mask;
    if (v < sig[bin]!) sig[bin] = v;
  }
  densify(sig);
  return sig;
}

/** Fill empty bins from the next non-empty bin to the right (circular), with an offset. */
function densify(sig: Uint32Array): void {
  const filled = new Uint8Array(K);
  let count = 0;
  for (let b = 0; b < K; b++) {
    if (sig[b] !== EMPTY) {
      filled[b] = 1;
      count++;
    }
  }
  if (count === K || count === 0) return;
  for (let b = 0; b < K; b++) {
    if (filled[b] === 1) continue;
    let j = 1;
    while (filled[(b + j) % K] === 0) j++;
    // Distinguish borrowed values by the distance so two texts only agree by chance.
    sig[b] = (sig[(b + j) % K]! + j * 0x3fffff) >>> 0;
  }
}

/** Estimated Jaccard similarity of two signatures: share of equal bins. Symmetric. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < K; i++) if (a[i] === b[i]) same++;
  return same / K;
}

/** One 32-bit key per band; equal keys make two documents candidates. */
export function bandKeys(sig: Uint32Array): number[] {
  const keys: number[] = [];
  for (let b = 0; b < BANDS; b++) {
    let h = mix32(b + 1);
    for (let r = 0; r < ROWS; r++) h = mix32(h ^ sig[b * ROWS + r]!);
    // Keep keys positive 31-bit-safe integers for storage, band id in the high part.
    keys.push(b * 2 ** 32 + h);
  }
  return keys;
}

/** Exact Jaccard over shingle sets: the oracle the estimate is tested against. */
export function exactJaccard(a: string, b: string): number {
  const sa = shingles(a);
  const sb = shingles(b);
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const s of sa) if (sb.has(s)) inter++;
  return inter / (sa.size + sb.size - inter);
}

function shingles(normalized: string): Set<string> {
  const chars = Array.from(normalized);
  const out = new Set<string>();
  const count = Math.max(chars.length > 0 ? 1 : 0, chars.length - SHINGLE + 1);
  for (let i = 0; i < count; i++) out.add(chars.slice(i, i + SHINGLE).join(''));
  return out;
}

/** Serialize a signature for storage. */
export function signatureToBuffer(sig: Uint32Array): Buffer {
  return Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength);
}

export function signatureFromBuffer(buf: Uint8Array): Uint32Array {
  const copy = new Uint8Array(buf); // aligned copy
  return new Uint32Array(copy.buffer, 0, K);
}
