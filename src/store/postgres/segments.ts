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
import type pg from 'pg';
import { forEachTerm } from '../../analysis/term-hits.js';
import { ByteWriter } from '../../core/bytes.js';
import { type PostingChunk, PostingsBuilder, decodePostings, encodePostings } from '../sqlite/postings.js';

/** Bytes of entries a block is filled to (a term's list longer than this is a block of its own). */
export const BLOCK_BYTES = 8 * 1024;
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

/** Postings of every term of some documents (ascending seq), from their index term strings. */
export function buildEntries(docs: { seq: number; titleTerms: string; bodyTerms: string }[]): Entry[] {
  const builders = new Map<string, PostingsBuilder>();
  // One document's positions per term, title and body (reused lists).
  const title = new Map<string, number[]>();
  const body = new Map<string, number[]>();
  for (const d of docs) {
    title.clear();
    body.clear();
    for (const [s, into] of [
      [d.titleTerms, title],
      [d.bodyTerms, body],
    ] as const) {
      let p = 0;
      forEachTerm(s, (from, to) => {
        const t = s.slice(from, to);
        const list = into.get(t);
        if (list) list.push(p);
        else into.set(t, [p]);
        p++;
      });
    }
    const builder = (t: string) => {
      let b = builders.get(t);
      if (!b) {
        b = new PostingsBuilder();
        builders.set(t, b);
      }
      return b;
    };
    for (const [t, tp] of title) builder(t).add(d.seq, tp, body.get(t) ?? NONE);
    for (const [t, bp] of body) if (!title.has(t)) builder(t).add(d.seq, NONE, bp);
  }
  const out: Entry[] = [];
  for (const [term, b] of builders) out.push({ term, n: b.n, first: b.first, last: b.last, docs: b.docs.bytes(), pos: b.pos.bytes() });
  out.sort((x, y) => compareTerms(x.term, y.term));
  return out;
}
const NONE: number[] = [];

/** A block row: its first and last term and its packed entries. */
export interface Block {
  first: string;
  last: string;
  body: Buffer;
}

/** Entries (sorted by term) packed into blocks of about BLOCK_BYTES. */
export class BlockPacker {
  readonly blocks: Block[] = [];
  private w = new ByteWriter();
  private first = '';
  private last = '';

  add(e: Entry): void {
    const term = encoder.encode(e.term);
    if (this.w.len > 0 && this.w.len + term.length + e.docs.length + e.pos.length > BLOCK_BYTES) this.flush();
    if (this.w.len === 0) this.first = e.term;
    this.last = e.term;
    const w = this.w;
    w.varint(term.length);
    w.append(term);
    w.varint(e.n);
    w.varint(e.first);
    w.varint(e.last);
    w.varint(e.docs.length);
    w.varint(e.pos.length);
    w.append(e.docs);
    w.append(e.pos);
  }

  flush(): void {
    if (this.w.len === 0) return;
    this.blocks.push({ first: this.first, last: this.last, body: Buffer.from(this.w.bytes()) });
    this.w = new ByteWriter();
  }
}

/** Read a varint at `at[0]`, advancing it. */
function varint(b: Uint8Array, at: { i: number }): number {
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

/** Every entry of a block, in term order. */
export function* blockEntries(body: Uint8Array): Generator<Entry> {
  const at = { i: 0 };
  while (at.i < body.length) {
    const tl = varint(body, at);
    const term = decoder.decode(body.subarray(at.i, at.i + tl));
    at.i += tl;
    const n = varint(body, at);
    const first = varint(body, at);
    const last = varint(body, at);
    const dl = varint(body, at);
    const pl = varint(body, at);
    const docs = body.subarray(at.i, at.i + dl);
    at.i += dl;
    const pos = body.subarray(at.i, at.i + pl);
    at.i += pl;
    yield { term, n, first, last, docs, pos };
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
    const n = varint(body, at);
    const first = varint(body, at);
    const last = varint(body, at);
    const dl = varint(body, at);
    const pl = varint(body, at);
    if (c === 0) return { term, n, first, last, docs: body.subarray(at.i, at.i + dl), pos: body.subarray(at.i + dl, at.i + dl + pl) };
    if (c > 0) return null;
    at.i += dl + pl;
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

/** Write one segment of documents' postings (inside the writer's transaction). */
export async function writeSegment(c: pg.PoolClient, docs: { seq: number; titleTerms: string; bodyTerms: string }[], level = 0): Promise<void> {
  if (docs.length === 0) return;
  docs.sort((a, b) => a.seq - b.seq);
  const packer = new BlockPacker();
  for (const e of buildEntries(docs)) packer.add(e);
  packer.flush();
  const seg = (
    await c.query<{ id: number }>('INSERT INTO segments (level, first_seq, last_seq, docs, bytes) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      level,
      docs[0]!.seq,
      docs[docs.length - 1]!.seq,
      docs.length,
      packer.blocks.reduce((n, b) => n + b.body.length, 0),
    ])
  ).rows[0]!.id;
  await insertBlocks(c, seg, packer.blocks);
}

async function insertBlocks(c: pg.PoolClient, seg: number, blocks: Block[]): Promise<void> {
  for (let i = 0; i < blocks.length; i += 2000) {
    const part = blocks.slice(i, i + 2000);
    await c.query('INSERT INTO seg_blocks (seg, first_term, last_term, body) SELECT $1, f, l, b FROM unnest($2::text[], $3::text[], $4::bytea[]) AS x(f, l, b)', [
      seg,
      part.map((b) => b.first),
      part.map((b) => b.last),
      part.map((b) => b.body),
    ]);
  }
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
