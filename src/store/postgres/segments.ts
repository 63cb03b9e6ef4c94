/**
 * The PostgreSQL backend's full-text index: posting segments, built in Node from the
 * analyzer's terms and stored packed in the database, so any number of app servers read the
 * same index and nothing is rebuilt at start.
 *
 * A segment holds the postings of a run of consecutive documents (one ingest batch when it
 * is written): for every term that occurs in them, one chunk of the SQLite engine's posting
 * codec (postings.ts: documents, tf in title and body, positions). Its terms, sorted by code
 * point (PostgreSQL's "C" collation: UTF-8 byte order), are packed into blocks of about
 * BLOCK_BYTES, one row each in `seg_blocks` keyed by (segment, first term): a 1,000-document
 * batch is a few hundred rows, where one row per term and batch was ~370,000 (measured on
 * the prototype, 2026-12-03: no faster than a GIN index). A term is found in a segment by
 * one index seek (the block whose first term is the greatest not after it).
 *
 * Segments are merged MERGE_FANOUT at a time when that many share a level (the writer does it
 * after its batch, under the write lock), so a term is looked up in O(fanout x levels)
 * segments. Merging concatenates each term's chunks (rewriting one varint per chunk) and
 * drops the postings of deleted documents. Merged segments stop growing at MAX_MERGED_DOCS
 * documents, which bounds a merge's work.
 */
import type { Worker } from 'node:worker_threads';
import type pg from 'pg';
import { startThread } from '../../core/threads.js';
import { ByteWriter } from '../../core/bytes.js';
import { type PostingChunk, decodePostings, encodePostings } from '../sqlite/postings.js';
import type { SegmentJob, SegmentReply } from './segment-worker.js';

/** Bytes of entries a block is filled to, so its row fits a page (a term's list longer than this is a block of its own). */
export const BLOCK_BYTES = 7_600;
export const MERGE_FANOUT = 8;
/** A merge that would make a segment larger than this is not made. */
export const MAX_MERGED_DOCS = 200_000;
/** Blocks read per page while merging (per input segment). */
const MERGE_PAGE = 256;

/** Code-point order of two strings (UTF-16 order differs for characters past U+FFFF). */
export function compareTerms(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
    return x - y;
  }
  return a.length - b.length;
}

/** One term's postings in one segment: a chunk of the posting codec with its document span. */
export interface Entry {
  term: string;
  n: number;
  first: number;
  last: number;
  docs: Uint8Array;
  pos: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The blocks of a segment holding every term of some documents (ascending seq), from their
 * index term strings. One pass interns the terms (one- and two-unit terms, most of them CJK
 * bigrams, by number: no substring made) and records every occurrence; a counting sort
 * groups them by term (documents, then title before body, then positions stay in order);
 * each term's postings are encoded (postings.ts codec) into two shared buffers and packed
 * in term order. No object a term or posting: a PostingsBuilder a term cost ~5 µs for each
 * of the ~450 new terms a generated document brings.
 */
export function buildSegment(docs: { seq: number; titleTerms: string; bodyTerms: string }[]): Block[] {
  const short = new ShortTerms();
  const long = new Map<string, number>();
  const terms: string[] = [];
  let cap = 1 << 16;
  let occTerm = new Int32Array(cap);
  let occDoc = new Int32Array(cap);
  let occPos = new Int32Array(cap); // position, with BODY_BIT for the body
  let m = 0;
  let surrogates = false;
  for (let di = 0; di < docs.length; di++) {
    const d = docs[di]!;
    for (let col = 0; col < 2; col++) {
      const s = col === 0 ? d.titleTerms : d.bodyTerms;
      const bit = col === 0 ? 0 : BODY_BIT;
      let p = 0;
      const len = s.length;
      let i = 0;
      // The tokens forEachTerm finds (space and newline separate), inlined.
      while (i < len) {
        const c = s.charCodeAt(i);
        if (c === 32 || c === 10) {
          i++;
          continue;
        }
        let j = i + 1;
        while (j < len) {
          const x = s.charCodeAt(j);
          if (x === 32 || x === 10) break;
          j++;
        }
        let id: number | undefined;
        if (j - i <= 2) {
          const key = j - i === 1 ? c : ((c << 16) | s.charCodeAt(i + 1)) >>> 0;
          id = short.get(key);
          if (id < 0) {
            id = terms.length;
            short.set(key, id);
            terms.push(s.slice(i, j));
            if (!surrogates && (c & 0xf800) === 0xd800) surrogates = true;
          }
        } else {
          const t = s.slice(i, j);
          id = long.get(t);
          if (id === undefined) {
            id = terms.length;
            long.set(t, id);
            terms.push(t);
            if (!surrogates && /[\ud800-\udfff]/.test(t)) surrogates = true;
          }
        }
        if (m === cap) {
          cap *= 2;
          occTerm = grow(occTerm, cap);
          occDoc = grow(occDoc, cap);
          occPos = grow(occPos, cap);
        }
        occTerm[m] = id;
        occDoc[m] = di;
        occPos[m] = p | bit;
        m++;
        p++;
        i = j;
      }
    }
  }
  // Counting sort of the occurrences by term (stable: document, column, position order kept).
  const nt = terms.length;
  const start = new Int32Array(nt + 1);
  for (let k = 0; k < m; k++) start[occTerm[k]! + 1]!++;
  for (let t = 0; t < nt; t++) start[t + 1]! += start[t]!;
  const at = start.slice(0, nt);
  const sDoc = new Int32Array(m);
  const sPos = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const to = at[occTerm[k]!]!++;
    sDoc[to] = occDoc[k]!;
    sPos[to] = occPos[k]!;
  }
  // Each term's postings into shared buffers: [dOff[t], dOff[t+1]) and [pOff[t], pOff[t+1]).
  const docsW = new ByteWriter();
  const posW = new ByteWriter();
  const dOff = new Int32Array(nt + 1);
  const pOff = new Int32Array(nt + 1);
  const count = new Int32Array(nt);
  const firstSeq = new Float64Array(nt);
  const lastSeq = new Float64Array(nt);
  for (let t = 0; t < nt; t++) {
    dOff[t] = docsW.len;
    pOff[t] = posW.len;
    let n = 0;
    let prevDoc = 0;
    let k = start[t]!;
    const end = start[t + 1]!;
    while (k < end) {
      const di = sDoc[k]!;
      const seq = docs[di]!.seq;
      const before = posW.len;
      let tfTitle = 0;
      let tfBody = 0;
      let prev = 0;
      let inBody = false;
      for (; k < end && sDoc[k] === di; k++) {
        const v = sPos[k]!;
        const body = (v & BODY_BIT) !== 0;
        if (body && !inBody) {
          inBody = true;
          prev = 0;
        }
        const p = v & ~BODY_BIT;
        posW.varint(p - prev);
        prev = p;
        if (body) tfBody++;
        else tfTitle++;
      }
      if (n === 0) firstSeq[t] = seq;
      docsW.varint(seq - prevDoc);
      docsW.varint(tfTitle);
      docsW.varint(tfBody);
      docsW.varint(posW.len - before);
      prevDoc = seq;
      lastSeq[t] = seq;
      n++;
    }
    count[t] = n;
  }
  dOff[nt] = docsW.len;
  pOff[nt] = posW.len;
  // Term order: the engine's own string sort (UTF-16 order: code point order without
  // surrogates), then each term's id found again; with surrogates, code point order.
  const byText = surrogates ? terms.slice().sort(compareTerms) : terms.slice().sort();
  const sorted = byText.map((t) => (t.length <= 2 ? short.get(t.length === 1 ? t.charCodeAt(0) : ((t.charCodeAt(0) << 16) | t.charCodeAt(1)) >>> 0) : long.get(t)!));
  const packer = new BlockPacker();
  const dBuf = docsW.buf;
  const pBuf = posW.buf;
  for (const t of sorted) {
    packer.addParts(terms[t]!, count[t]!, firstSeq[t]!, lastSeq[t]!, dBuf, dOff[t]!, dOff[t + 1]!, pBuf, pOff[t]!, pOff[t + 1]!);
  }
  packer.flush();
  return packer.blocks;
}
const BODY_BIT = 0x40000000;

/**
 * Ids of one- and two-unit terms by their code units as one uint32 (a single unit is below
 * 0x10000, a pair at or above it; 0 is never a key): open addressing over typed arrays,
 * where a Map of such numbers (past the small-integer range) cost most of a segment's build.
 */
class ShortTerms {
  private keys = new Uint32Array(1 << 16);
  private vals = new Int32Array(1 << 16);
  private size = 0;

  get(key: number): number {
    const mask = this.keys.length - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      h &= mask;
      const k = this.keys[h]!;
      if (k === key) return this.vals[h]!;
      if (k === 0) return -1;
      h++;
    }
  }

  set(key: number, val: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash();
    const mask = this.keys.length - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      h &= mask;
      if (this.keys[h] === 0) break;
      h++;
    }
    this.keys[h] = key;
    this.vals[h] = val;
    this.size++;
  }

  private rehash(): void {
    const { keys, vals } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.vals = new Int32Array(keys.length * 2);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, vals[i]!);
  }
}

function grow(a: Int32Array<ArrayBuffer>, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}


/** A block row: its first and last term and its packed entries. */
export interface Block {
  first: string;
  last: string;
  body: Buffer;
}

/** Entries (sorted by term) packed into blocks of about BLOCK_BYTES. */
export class BlockPacker {
  readonly blocks: Block[] = [];
  private buf = Buffer.allocUnsafe(BLOCK_BYTES * 2);
  private len = 0;
  private first = '';
  private last = '';

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + extra));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  private varint(v: number): void {
    const b = this.buf;
    while (v >= 0x80) {
      b[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.len++] = v;
  }

  add(e: Entry): void {
    this.addParts(e.term, e.n, e.first, e.last, e.docs, 0, e.docs.length, e.pos, 0, e.pos.length);
  }

  /** An entry whose documents are docs[d0, d1) and positions pos[p0, p1). */
  addParts(term: string, n: number, first: number, last: number, docs: Uint8Array, d0: number, d1: number, pos: Uint8Array, p0: number, p1: number): void {
    // A term's UTF-8 is at most 3 bytes a UTF-16 unit; six varints at most 8 bytes each.
    const room = term.length * 3 + 48 + (d1 - d0) + (p1 - p0);
    if (this.len > 0 && this.len + room > BLOCK_BYTES) this.flush();
    if (this.len === 0) this.first = term;
    this.last = term;
    this.ensure(room);
    const b = this.buf;
    // UTF-8 by hand for short terms of the Basic Multilingual Plane (most: CJK bigrams).
    let tl = 0;
    let bmp = term.length <= 4;
    for (let i = 0; i < term.length && bmp; i++) {
      const c = term.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) bmp = false;
      else tl += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
    if (bmp) {
      this.varint(tl);
      for (let i = 0; i < term.length; i++) {
        const c = term.charCodeAt(i);
        if (c < 0x80) b[this.len++] = c;
        else if (c < 0x800) {
          b[this.len++] = 0xc0 | (c >> 6);
          b[this.len++] = 0x80 | (c & 0x3f);
        } else {
          b[this.len++] = 0xe0 | (c >> 12);
          b[this.len++] = 0x80 | ((c >> 6) & 0x3f);
          b[this.len++] = 0x80 | (c & 0x3f);
        }
      }
    } else {
      tl = Buffer.byteLength(term);
      this.varint(tl);
      b.write(term, this.len, 'utf8');
      this.len += tl;
    }
    this.varint(n);
    this.varint(first);
    this.varint(last);
    this.varint(d1 - d0);
    this.varint(p1 - p0);
    this.copy(docs, d0, d1);
    this.copy(pos, p0, p1);
  }

  /** src[from, to) appended; short runs byte by byte (no view made). */
  private copy(src: Uint8Array, from: number, to: number): void {
    const b = this.buf;
    if (to - from <= 32) {
      for (let i = from; i < to; i++) b[this.len++] = src[i]!;
      return;
    }
    b.set(src.subarray(from, to), this.len);
    this.len += to - from;
  }

  flush(): void {
    if (this.len === 0) return;
    this.blocks.push({ first: this.first, last: this.last, body: Buffer.from(this.buf.subarray(0, this.len)) });
    this.len = 0;
  }
}

/** Read a varint at `at.i`, advancing it. */
export function varint(b: Uint8Array, at: { i: number }): number {
  let v = 0;
  let shift = 0;
  let x: number;
  do {
    x = b[at.i++]!;
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
  } while (x & 0x80);
  return v;
}

/** What follows an entry's term: postings, first and last seq, bytes of documents and of positions. */
const head = { n: 0, first: 0, last: 0, dl: 0, pl: 0 };

function readHead(body: Uint8Array, at: { i: number }): void {
  head.n = varint(body, at);
  head.first = varint(body, at);
  head.last = varint(body, at);
  head.dl = varint(body, at);
  head.pl = varint(body, at);
}

/** The entry whose head was just read, its postings starting at `at.i` (advanced past them). */
function entryAt(body: Uint8Array, at: { i: number }, term: string): Entry {
  const docs = body.subarray(at.i, at.i + head.dl);
  const pos = body.subarray(at.i + head.dl, at.i + head.dl + head.pl);
  at.i += head.dl + head.pl;
  return { term, n: head.n, first: head.first, last: head.last, docs, pos };
}

/** Every entry of a block, in term order. */
export function* blockEntries(body: Uint8Array): Generator<Entry> {
  const at = { i: 0 };
  while (at.i < body.length) {
    const tl = varint(body, at);
    const term = decoder.decode(body.subarray(at.i, at.i + tl));
    at.i += tl;
    readHead(body, at);
    yield entryAt(body, at, term);
  }
}

/** Compare a block's term bytes with `key` (UTF-8): byte order is PostgreSQL "C" order. */
function compareBytes(b: Uint8Array, from: number, len: number, key: Uint8Array): number {
  const n = Math.min(len, key.length);
  for (let i = 0; i < n; i++) {
    const d = b[from + i]! - key[i]!;
    if (d !== 0) return d;
  }
  return len - key.length;
}

/** The entry of `term` in a block, or null; only the terms before it are skipped over, not decoded. */
export function findEntry(body: Uint8Array, term: string): Entry | null {
  const key = encoder.encode(term);
  const at = { i: 0 };
  while (at.i < body.length) {
    const tl = varint(body, at);
    const c = compareBytes(body, at.i, tl, key);
    at.i += tl;
    readHead(body, at);
    if (c === 0) return entryAt(body, at, term);
    if (c > 0) return null;
    at.i += head.dl + head.pl;
  }
  return null;
}

/** Terms of a block that start with `prefix`, with their entries. */
export function prefixEntries(body: Uint8Array, prefix: string): Entry[] {
  const out: Entry[] = [];
  for (const e of blockEntries(body)) if (e.term.startsWith(prefix)) out.push(e);
  return out;
}

/**
 * Chunks of one term from consecutive segments (ascending, disjoint document spans) as one
 * chunk: the documents' gaps are relative, so only each chunk's first gap is rewritten. With
 * `live`, postings of documents not in it are dropped (decoded and encoded again).
 */
export function concatEntries(parts: Entry[], live: ((seq: number) => boolean) | null): Entry | null {
  if (live) {
    const p = decodePostings(parts, true);
    const drop = new Set<number>();
    for (let k = 0; k < p.n; k++) if (!live(p.docs[k]!)) drop.add(p.docs[k]!);
    const b = drop.size > 0 ? encodePostings(p, drop) : null;
    if (b) return b.n === 0 ? null : { term: parts[0]!.term, n: b.n, first: b.first, last: b.last, docs: b.docs.bytes(), pos: b.pos.bytes() };
  }
  if (parts.length === 1) return parts[0]!;
  const docs = new ByteWriter();
  const pos = new ByteWriter();
  let n = 0;
  let prevLast = 0;
  for (const e of parts) {
    // The chunk's first gap is its first document; rewrite it relative to the previous chunk's last.
    const at = { i: 0 };
    const firstDoc = varint(e.docs, at);
    docs.varint(firstDoc - prevLast);
    docs.append(e.docs, at.i);
    pos.append(e.pos);
    n += e.n;
    prevLast = e.last;
  }
  return { term: parts[0]!.term, n, first: parts[0]!.first, last: prevLast, docs: docs.bytes(), pos: pos.bytes() };
}

/** A segment row. */
export interface Segment {
  id: number;
  level: number;
  first: number;
  last: number;
  docs: number;
}

/** Write one segment of documents' postings (inside the writer's transaction); `blocks` when built already (SegmentBuilder). */
export async function writeSegment(
  c: pg.PoolClient,
  docs: { seq: number; titleTerms: string; bodyTerms: string }[],
  level = 0,
  built?: Block[],
): Promise<void> {
  if (docs.length === 0) return;
  docs.sort((a, b) => a.seq - b.seq);
  const blocks = built ?? buildSegment(docs);
  const seg = (
    await c.query<{ id: number }>('INSERT INTO segments (level, first_seq, last_seq, docs, bytes) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      level,
      docs[0]!.seq,
      docs[docs.length - 1]!.seq,
      docs.length,
      blocks.reduce((n, b) => n + b.body.length, 0),
    ])
  ).rows[0]!.id;
  await insertBlocks(c, seg, blocks);
}

/**
 * Builds segments on a thread of its own, so a batch's postings are built while the writing
 * thread stores its documents (PostgreSQL works meanwhile). Falls back to building in the
 * calling thread if the thread cannot start or dies.
 */
export class SegmentBuilder {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: Block[]) => void; reject: (e: Error) => void }>();

  /** The blocks of these documents' segment (ascending seq). */
  build(docs: { seq: number; titleTerms: string; bodyTerms: string }[]): Promise<Block[]> {
    docs.sort((a, b) => a.seq - b.seq);
    const w = this.ensure();
    if (w === null) return Promise.resolve(buildSegment(docs));
    const id = this.nextId++;
    return new Promise<Block[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, docs } satisfies SegmentJob);
    }).catch(() => buildSegment(docs));
  }

  private ensure(): Worker | null {
    if (this.worker || this.broken) return this.worker;
    try {
      const w = startThread(import.meta.url, 'segment-worker');
      w.unref();
      w.on('message', (r: SegmentReply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        if (!p) return;
        if ('error' in r) {
          p.reject(new Error(r.error));
          return;
        }
        const data = Buffer.from(r.data);
        const blocks: Block[] = [];
        let off = 0;
        r.lengths.forEach((len, i) => {
          blocks.push({ first: r.firsts[i]!, last: r.lasts[i]!, body: data.subarray(off, off + len) });
          off += len;
        });
        p.resolve(blocks);
      });
      const fail = (err: Error) => {
        this.broken = true;
        this.worker = null;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`the segment thread exited (${code})`)));
      this.worker = w;
      return w;
    } catch {
      this.broken = true;
      return null;
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.broken = true;
    this.worker = null;
    if (w) await w.terminate();
  }
}

async function insertBlocks(c: pg.PoolClient, seg: number, blocks: Block[]): Promise<void> {
  if (blocks.length === 0) return;
  // One binary parameter holding every body (node-postgres sends a Buffer as binary; a
  // bytea[] goes as hex text, twice the bytes, parsed again by the server), cut in SQL.
  const offsets: number[] = [];
  const lengths: number[] = [];
  let off = 0;
  for (const b of blocks) {
    offsets.push(off + 1);
    lengths.push(b.body.length);
    off += b.body.length;
  }
  await c.query(
    `INSERT INTO seg_blocks (seg, first_term, last_term, body)
     SELECT $1, f, l, substring($4::bytea FROM o FOR n) FROM unnest($2::text[], $3::text[], $5::int[], $6::int[]) AS x(f, l, o, n)`,
    [seg, blocks.map((b) => b.first), blocks.map((b) => b.last), Buffer.concat(blocks.map((b) => b.body), off), offsets, lengths],
  );
}

/**
 * Merge segments while MERGE_FANOUT consecutive ones share a level (inside the writer's
 * transaction, under the write lock). Returns the number of merges made.
 */
export async function mergeSegments(c: pg.PoolClient): Promise<number> {
  let merges = 0;
  for (;;) {
    const segs = (await c.query<Segment>('SELECT id, level, first_seq AS first, last_seq AS last, docs FROM segments ORDER BY first_seq')).rows;
    let run: Segment[] | null = null;
    for (let i = 0; i + MERGE_FANOUT <= segs.length && run === null; i++) {
      const cand = segs.slice(i, i + MERGE_FANOUT);
      if (cand.every((s) => s.level === cand[0]!.level) && cand.reduce((n, s) => n + s.docs, 0) <= MAX_MERGED_DOCS) run = cand;
    }
    if (run === null) return merges;
    await mergeRun(c, run);
    merges++;
  }
}

/** Merge consecutive segments into one of the next level, streaming their blocks in term order. */
async function mergeRun(c: pg.PoolClient, run: Segment[]): Promise<void> {
  const first = run[0]!.first;
  const last = run[run.length - 1]!.last;
  const liveSeqs = (await c.query<{ seq: number }>('SELECT seq FROM documents WHERE seq BETWEEN $1 AND $2', [first, last])).rows;
  const docs = run.reduce((n, s) => n + s.docs, 0);
  let live: ((seq: number) => boolean) | null = null;
  if (liveSeqs.length < docs) {
    const set = new Set(liveSeqs.map((r) => r.seq));
    live = (s) => set.has(s);
  }
  const readers = run.map((s) => new SegmentReader(c, s.id));
  const seg = (
    await c.query<{ id: number }>('INSERT INTO segments (level, first_seq, last_seq, docs, bytes) VALUES ($1, $2, $3, $4, 0) RETURNING id', [
      run[0]!.level + 1,
      first,
      last,
      liveSeqs.length,
    ])
  ).rows[0]!.id;
  const packer = new BlockPacker();
  let bytes = 0;
  // One connection: the readers take turns.
  const heads: (Entry | null)[] = [];
  for (const r of readers) heads.push(await r.next());
  for (;;) {
    let min: string | null = null;
    for (const h of heads) if (h !== null && (min === null || compareTerms(h.term, min) < 0)) min = h.term;
    if (min === null) break;
    const parts: Entry[] = [];
    for (let k = 0; k < heads.length; k++) {
      const h = heads[k] ?? null;
      if (h !== null && h.term === min) {
        parts.push(h);
        heads[k] = await readers[k]!.next();
      }
    }
    const merged = concatEntries(parts, live);
    if (merged !== null) packer.add(merged);
    if (packer.blocks.length >= 512) {
      for (const b of packer.blocks) bytes += b.body.length;
      await insertBlocks(c, seg, packer.blocks.splice(0));
    }
  }
  packer.flush();
  for (const b of packer.blocks) bytes += b.body.length;
  await insertBlocks(c, seg, packer.blocks);
  await c.query('UPDATE segments SET bytes = $2 WHERE id = $1', [seg, bytes]);
  const ids = run.map((s) => s.id);
  await c.query('DELETE FROM seg_blocks WHERE seg = ANY($1::bigint[])', [ids]);
  await c.query('DELETE FROM segments WHERE id = ANY($1::bigint[])', [ids]);
}

/** A segment's entries in term order, read a page of blocks at a time. */
class SegmentReader {
  private entries: Entry[] = [];
  private at = 0;
  private after: string | null = null;
  private done = false;

  constructor(
    private readonly c: pg.PoolClient,
    private readonly seg: number,
  ) {}

  async next(): Promise<Entry | null> {
    while (this.at >= this.entries.length) {
      if (this.done) return null;
      const rows = (
        await this.c.query<{ first_term: string; body: Buffer }>(
          this.after === null
            ? 'SELECT first_term, body FROM seg_blocks WHERE seg = $1 ORDER BY first_term LIMIT $2'
            : 'SELECT first_term, body FROM seg_blocks WHERE seg = $1 AND first_term > $3 ORDER BY first_term LIMIT $2',
          this.after === null ? [this.seg, MERGE_PAGE] : [this.seg, MERGE_PAGE, this.after],
        )
      ).rows;
      if (rows.length < MERGE_PAGE) this.done = true;
      if (rows.length === 0) return null;
      this.after = rows[rows.length - 1]!.first_term;
      this.entries = rows.flatMap((r) => [...blockEntries(r.body)]);
      this.at = 0;
    }
    return this.entries[this.at++]!;
  }
}

/** An entry as a chunk for the search engine (positions included). */
export function asChunk(e: Entry): PostingChunk {
  return { n: e.n, docs: e.docs, pos: e.pos };
}
