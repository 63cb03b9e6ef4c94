/**
 * Hot-term posting lists: our own compact postings (postings.ts) for the terms that match
 * many documents, kept next to FTS5 in the same database.
 *
 * Why: FTS5 spends ~2.5 µs per matching row to hand back a rowid and its bm25() score, so a
 * term matching 300,000 documents costs ~0.8 s, and exact totals rule out stopping early.
 * Rare terms are already fast in FTS5 (the cost follows the number of matches). So the
 * terms that match many documents get their own lists of (document, tf in title, tf in
 * body, positions), which decode at ~10 ns per posting; BM25, phrases, filters and totals
 * are then computed in JavaScript over typed arrays.
 *
 * Which terms: a query leaf answered by FTS5 that matched at least `threshold` documents
 * promotes its terms. Promotion reads the term's occurrences from FTS5 itself (the
 * fts5vocab instance table) in one write transaction; from then on every ingest batch
 * appends the new documents' postings for hot terms in the same transaction as the
 * documents (so the lists are always exactly as current as the documents). A document's
 * content never changes under its rowid (an update gets a new rowid), so lists only grow
 * at the end; postings of deleted documents are skipped through the live column until a
 * merge drops them.
 *
 * Hot phrases: a phrase of hot terms that a search had to match position by position over
 * long lists (see search.ts) gets a list of its own under the key "term1 term2 …" (positions:
 * where the phrase starts), built from the terms' lists and then appended by every batch
 * like a term's; the next search for it reads one list. At most MAX_PHRASES of them.
 *
 * Chunks: each batch writes one chunk per hot term at level 0; when a term's eight newest
 * chunks share a level they are merged into one chunk of the next level, so a list has
 * O(8 log8 n) chunks and each posting is rewritten O(log8 n) times. A merge drops the
 * postings of deleted documents; the chunks written at promotion (level 30, pieces of at
 * most 32,768 postings so a scan can be split between threads) are never merged, so their
 * dead postings stay (skipped through the live column) until the term is rebuilt.
 */
import type Database from 'better-sqlite3';
import { type LocatedTerms, type TermSet, TermMatcher, forEachHit, forEachTerm, newTermSetId, pairKey, phraseStarts } from '../../analysis/term-hits.js';
import { type PostingChunk, type Postings, PostingsBuilder, decodePostings, encodePostings, positionsOf } from './postings.js';

const MERGE_FANOUT = 8;
const SAMPLE_MIN_BATCH = 200;
const SAMPLE_DOCS = 128;
const FREQUENT_SHARE = 0.2;
/** Terms in this share of a batch sample are watched: located by ingest's workers before they are hot. */
const WATCH_SHARE = 0.1;
const MAX_WATCHED = 4_096;
const PROMOTED_LEVEL = 30;
const PROMOTED_PIECE = 32_768;
/**
 * Bytes of chunk document streams kept in memory: the lists of the terms searched lately
 * (a common term at 1,000,000 documents is ~2 MB) are then not read through SQLite's
 * overflow pages again (~1–2 ms a search).
 */
const CHUNK_CACHE_BYTES = 64 * 1024 * 1024;
/** Occurrences read from FTS5 kept in memory (see `HotIndex.chunks`). */
const OCCURRENCE_CACHE_BYTES = 32 * 1024 * 1024;
/** Hot phrases at most (each one is checked for in every ingested document that holds its first term). */
const MAX_PHRASES = 2_000;

export interface ChunkSpan {
  id: number;
  n: number;
  first: number;
  last: number;
}

/**
 * A chunk's identity: its row id with its rowid span and size. A chunk row never changes (a
 * merge writes a new row); a row id reused after a merge comes with another span or size.
 */
export function spanKey(s: ChunkSpan): string {
  return `${s.id}:${s.first}:${s.last}:${s.n}`;
}

export class HotIndex {
  /** Hot terms, and hot phrases (their terms joined by spaces). */
  private terms = new Set<string>();
  /**
   * Terms handed to ingest's analysis workers to locate (analysis/term-hits.ts): the hot
   * terms and phrases, plus terms a batch sample found in WATCH_SHARE of its documents
   * (likely to be promoted by a later batch). Append-only, so a located index keeps its
   * meaning: a chunk located before a promotion stays usable when the promoted terms were
   * already watched (promotions during a bulk ingest come from batch samples, so they almost
   * always were), and the writing thread locates again only otherwise.
   */
  private readonly known: string[] = [];
  private readonly knownAt = new Map<string, number>();
  private watched = 0;
  /** The set last handed out (a prefix of `known`), and the length of every set handed out by id. */
  private handed: TermSet | null = null;
  private readonly handedLength = new Map<number, number>();
  /** Locates the handed set on the writing thread (for documents the workers did not locate against a usable set). */
  private matcher: TermMatcher | null = null;
  private phraseCount = 0;
  private readonly pendingPhrases = new Map<string, string[]>();
  private version = -1;
  private readonly st: ReturnType<HotIndex['prepare']>;

  constructor(
    private readonly db: Database.Database,
    /** Leaves matching at least this many documents promote their terms (0 disables). */
    readonly threshold: number,
    private readonly writable: boolean,
  ) {
    this.st = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      version: db.prepare<[], string>("SELECT value FROM meta WHERE key = 'hot_version'").pluck(),
      setVersion: db.prepare(
        "INSERT INTO meta (key, value) VALUES ('hot_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ),
      allTerms: db.prepare<[], string>('SELECT term FROM hot_terms').pluck(),
      isTerm: db.prepare<[string], number>('SELECT 1 FROM hot_terms WHERE term = ?').pluck(),
      addTerm: db.prepare('INSERT INTO hot_terms (term, df, promoted_at) VALUES (?, ?, ?)'),
      chunks: db.prepare<[string], { n: number; docs: Buffer; pos: Buffer }>(
        'SELECT n, docs, pos FROM hot_postings WHERE term = ? ORDER BY first_doc',
      ),
      // Chunks cover disjoint rowid ranges (appends come in rowid order, merges join
      // neighbours), so a rowid range needs only the chunks that overlap it.
      chunksIn: db.prepare<[string, number, number], { n: number; docs: Buffer; pos: Buffer }>(
        'SELECT n, docs, pos FROM hot_postings WHERE term = ? AND first_doc <= ? AND last_doc >= ? ORDER BY first_doc',
      ),
      spans: db.prepare<[string], ChunkSpan>(
        'SELECT id, n, first_doc AS first, last_doc AS last FROM hot_postings WHERE term = ? ORDER BY first_doc',
      ),
      spansIn: db.prepare<[string, number, number], ChunkSpan>(
        'SELECT id, n, first_doc AS first, last_doc AS last FROM hot_postings WHERE term = ? AND first_doc <= ? AND last_doc >= ? ORDER BY first_doc',
      ),
      chunkById: db.prepare<[number], { n: number; docs: Buffer }>('SELECT n, docs FROM hot_postings WHERE id = ?'),
      // Levels only: the blobs (in overflow pages) are read when a merge is due, not after
      // every batch (at 1,000,000 documents that read was 14% of the writing thread).
      newest: db.prepare<[string, number], { id: number; level: number }>(
        'SELECT id, level FROM hot_postings WHERE term = ? ORDER BY first_doc DESC LIMIT ?',
      ),
      chunk: db.prepare<[number], { n: number; docs: Buffer; pos: Buffer }>('SELECT n, docs, pos FROM hot_postings WHERE id = ?'),
      insertChunk: db.prepare(
        'INSERT INTO hot_postings (term, level, first_doc, last_doc, n, docs, pos) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteChunk: db.prepare('DELETE FROM hot_postings WHERE id = ?'),
      deadIn: db.prepare<[number, number], number>('SELECT doc_id FROM tombstones WHERE doc_id BETWEEN ? AND ?').pluck(),
      instances: db
        .prepare<[string], [number, string, number]>('SELECT doc, col, offset FROM fts_instances WHERE term = ?')
        .raw(true),
      documents: db.prepare<[string], number>('SELECT count(*) FROM fts WHERE fts MATCH ?').pluck(),
    };
  }

  /** Reload the hot set when another connection (or this one) promoted terms. */
  refresh(): void {
    const v = Number(this.st.version.get() ?? '0');
    if (v === this.version) return;
    this.terms = new Set(this.st.allTerms.all());
    this.phraseCount = 0;
    for (const t of this.terms) if (t.includes(' ')) this.phraseCount++;
    for (const t of this.terms) this.know(t);
    this.version = v;
  }

  has(term: string): boolean {
    return this.terms.has(term);
  }

  /**
   * The terms ingest's analysis workers locate in each document (analysis/term-hits.ts):
   * the hot terms and phrases and the watched terms (`known`); a new id whenever the set
   * grows. Null when no term is hot.
   */
  termSet(): TermSet | null {
    if (this.threshold <= 0) return null;
    this.refresh();
    if (this.terms.size === 0) return null;
    if (this.handed === null || this.handed.terms.length !== this.known.length) {
      this.handed = { id: newTermSetId(), terms: this.known.slice() };
      this.handedLength.set(this.handed.id, this.known.length);
      this.matcher = null;
    }
    return this.handed;
  }

  private know(term: string): void {
    if (this.knownAt.has(term)) return;
    this.knownAt.set(term, this.known.length);
    this.known.push(term);
  }

  /**
   * Decoded postings of a hot term (document order): every chunk, or with `range` only the
   * chunks overlapping it (the list may then hold documents outside the range, never miss one
   * inside). Callers that need the term's document frequency must not pass a range.
   */
  load(term: string, withPositions: boolean, range?: { lo: number; hi: number }): Postings {
    return decodePostings(this.loadChunks(term, withPositions, range), withPositions);
  }

  /**
   * A hot term's chunks (document order), or with `range` those overlapping it. Document
   * streams (no positions) come through the chunk cache.
   */
  loadChunks(term: string, withPositions: boolean, range?: { lo: number; hi: number }): PostingChunk[] {
    if (withPositions) return range ? this.st.chunksIn.all(term, range.hi, range.lo) : this.st.chunks.all(term);
    // One read transaction: a merge committed between the reads cannot remove a chunk listed.
    return this.db.transaction(() => {
      const spans = range ? this.st.spansIn.all(term, range.hi, range.lo) : this.st.spans.all(term);
      return spans.map((s) => this.chunk(s));
    })();
  }

  /** A hot list's chunks without their contents (document order): row id, postings, rowid span. */
  spans(term: string): ChunkSpan[] {
    return this.st.spans.all(term);
  }

  /** One chunk's document stream (no positions), from the cache when it was read lately (keyed by `spanKey`). */
  chunk(s: ChunkSpan): PostingChunk {
    const key = spanKey(s);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      // Most recently used last: the map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { n: s.n, docs: hit };
    }
    const row = this.st.chunkById.get(s.id)!;
    this.cache.set(key, row.docs);
    this.cacheBytes += row.docs.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= CHUNK_CACHE_BYTES) break;
      this.cache.delete(k);
      this.cacheBytes -= v.length;
    }
    return { n: row.n, docs: row.docs };
  }

  /** Document streams of chunks read lately (least recently used first), at most CHUNK_CACHE_BYTES. */
  private readonly cache = new Map<string, Uint8Array>();
  private cacheBytes = 0;

  /**
   * Postings of any term: a hot term's list, or one read from FTS5's occurrences (cheap for
   * rare terms). A term found in `threshold` or more documents is promoted on the way.
   */
  postings(term: string, withPositions: boolean, range?: { lo: number; hi: number }): Postings {
    return decodePostings(this.chunks(term, withPositions, range), withPositions);
  }

  /**
   * Postings read from FTS5's occurrences (terms without a hot list), kept until the index
   * changes (another connection's commit changes `data_version`; this connection's writes
   * call `forgetOccurrences`), at most OCCURRENCE_CACHE_BYTES. Reading a term's occurrences
   * costs 2-5 ms at ~1,000 documents and, while another process ingests, far more (FTS5
   * has more segments to merge; a term past the promotion threshold whose promotion finds
   * the database busy is read whole every time): with a writer committing every second
   * and the same queries asked several times a second, each term is read once a commit.
   */
  private readonly occurrences = new Map<string, PostingChunk[]>();
  private occurrenceBytes = 0;
  private occurrenceStamp = -1;

  /** This connection wrote: occurrences read before are out of date. */
  forgetOccurrences(): void {
    this.occurrences.clear();
    this.occurrenceBytes = 0;
  }

  private cachedOccurrences(term: string): PostingChunk[] | undefined {
    const dv = this.db.pragma('data_version', { simple: true }) as number;
    if (dv !== this.occurrenceStamp) {
      this.forgetOccurrences();
      this.occurrenceStamp = dv;
      return undefined;
    }
    const hit = this.occurrences.get(term);
    if (hit) {
      // Most recently used last.
      this.occurrences.delete(term);
      this.occurrences.set(term, hit);
    }
    return hit;
  }

  private keepOccurrences(term: string, chunks: PostingChunk[]): PostingChunk[] {
    let bytes = term.length * 2 + 64;
    for (const c of chunks) bytes += c.docs.byteLength + (c.pos?.byteLength ?? 0);
    if (bytes > OCCURRENCE_CACHE_BYTES / 4) return chunks;
    this.occurrences.set(term, chunks);
    this.occurrenceBytes += bytes;
    for (const [k, v] of this.occurrences) {
      if (this.occurrenceBytes <= OCCURRENCE_CACHE_BYTES) break;
      this.occurrences.delete(k);
      for (const c of v) this.occurrenceBytes -= c.docs.byteLength + (c.pos?.byteLength ?? 0);
      this.occurrenceBytes -= k.length * 2 + 64;
    }
    return chunks;
  }

  /** The same as `postings`, still encoded (for callers that decode as they scan). */
  chunks(term: string, withPositions: boolean, range?: { lo: number; hi: number }): PostingChunk[] {
    this.refresh();
    if (this.terms.has(term)) return this.loadChunks(term, withPositions, range);
    const cached = this.cachedOccurrences(term);
    if (cached) return cached;
    // The number of documents first (FTS5 walks the term's document list, ~0.1 µs a
    // document): a common term is promoted straight away, its occurrences read once, inside
    // the promotion's write transaction (so a batch another connection commits meanwhile is
    // in the list); a rare one's occurrences are read here, all at once.
    const df = this.st.documents.get(`"${term}"`) ?? 0;
    if (df >= this.threshold && this.promote([term])) return this.loadChunks(term, withPositions);
    const b = this.fromInstances(term, df < this.threshold);
    return this.keepOccurrences(term, b.n === 0 ? [] : [{ n: b.n, docs: b.docs.bytes(), pos: b.pos.bytes() }]);
  }

  /**
   * Build a term's postings from the fts5vocab instance table (doc, column, offset). `rare`:
   * the rows are few, read in one call (~30% faster than stepping through them, which a
   * common term's million rows need).
   */
  private fromInstances(term: string, rare = false): PostingsBuilder {
    const b = new PostingsBuilder();
    let doc = -1;
    let title: number[] = [];
    let body: number[] = [];
    const flush = () => {
      if (doc < 0) return;
      title.sort((x, y) => x - y);
      body.sort((x, y) => x - y);
      b.add(doc, title, body);
      title = [];
      body = [];
    };
    const rows = (rare ? this.st.instances.all(term) : this.st.instances.iterate(term)) as Iterable<[number, string, number]>;
    for (const [d, col, off] of rows) {
      if (d !== doc) {
        flush();
        doc = d;
      }
      (col === 'title' ? title : body).push(off);
    }
    flush();
    return b;
  }

  /**
   * Promote terms to hot lists, built from FTS5's own record of their occurrences. Returns
   * false (and changes nothing) when the database is busy with another writer: promotion
   * is an optimisation and never makes a query wait.
   */
  promote(terms: string[]): boolean {
    if (!this.writable || terms.length === 0) return false;
    return this.writeIfFree(() => {
      let changed = false;
      for (const term of terms) {
        if (this.st.isTerm.get(term) !== undefined) continue;
        const b = this.fromInstances(term);
        if (b.n > 0) this.writePromoted(term, b);
        this.st.addTerm.run(term, b.n, Date.now());
        changed = true;
      }
      if (changed) this.st.setVersion.run(String(Number(this.st.version.get() ?? '0') + 1));
    });
  }

  /**
   * Run `write` in a write transaction if no other writer holds the database, without
   * waiting: false (and nothing written) when busy. Promotions are optimisations and never
   * make anyone wait.
   */
  private writeIfFree(write: () => void): boolean {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.transaction(write).immediate();
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /**
   * Ask for a phrase's own list after the current work (the search that asked has its
   * answer; building the list takes ~0.6–1 s at 1,000,000 documents).
   */
  queuePhrase(terms: string[]): void {
    if (!this.writable) return;
    this.pendingPhrases.set(terms.join(' '), terms);
    if (this.pendingPhrases.size > 1) return;
    setImmediate(() => {
      const todo = [...this.pendingPhrases.values()];
      this.pendingPhrases.clear();
      for (const t of todo) {
        if (!this.db.open) return;
        try {
          this.promotePhrase(t);
        } catch (err) {
          // An optimisation that failed (e.g. a full disk) must not take the process down.
          process.emitWarning(`hot phrase "${t.join(' ')}" not built: ${(err as Error).message}`);
        }
      }
    });
  }

  /**
   * Give a phrase of hot terms its own list (key: the terms joined by spaces; positions are
   * where the phrase starts), built from the terms' lists inside one write transaction, and
   * appended by every later ingest batch like a term's. Asked for by a search that had to
   * match the phrase position by position over long lists, so the next one reads one list.
   * Returns false when busy, read-only, at the cap, or when a term is not hot.
   */
  promotePhrase(terms: string[]): boolean {
    if (!this.writable || terms.length < 2) return false;
    this.refresh();
    if (this.phraseCount >= MAX_PHRASES || !terms.every((t) => this.terms.has(t))) return false;
    const key = terms.join(' ');
    return this.writeIfFree(() => {
      if (this.st.isTerm.get(key) !== undefined) return;
      const b = phrasePostings(terms.map((t) => this.load(t, true)));
      if (b.n > 0) this.writePromoted(key, b);
      this.st.addTerm.run(key, b.n, Date.now());
      this.st.setVersion.run(String(Number(this.st.version.get() ?? '0') + 1));
    });
  }

  /**
   * Terms frequent in a bulk batch (in FREQUENT_SHARE of a sample of its documents) that are
   * not hot yet: promoted right after the batch commits, so the common words of a corpus
   * have lists before anyone searches for them (promotion costs least while the database
   * is small). Terms in WATCH_SHARE of the sample are watched from then on (located by the
   * workers, so their promotion by a later batch finds them located). Small batches (API
   * posts) are not sampled.
   */
  frequentTerms(docs: { titleTerms: string; bodyTerms: string }[]): string[] {
    if (this.threshold <= 0 || !this.writable || docs.length < SAMPLE_MIN_BATCH) return [];
    this.refresh();
    const step = Math.max(1, Math.floor(docs.length / SAMPLE_DOCS));
    // Document frequency in the sample; a term counts once a document (`last` holds the
    // sample number that counted it). Two-unit terms (CJK bigrams, most of them) are keyed
    // by pairKey, so scanning makes no substrings for them.
    const pairs = new Map<number, { df: number; last: number }>();
    const others = new Map<string, { df: number; last: number }>();
    let sampled = 0;
    for (let i = 0; i < docs.length; i += step) {
      sampled++;
      for (const s of [docs[i]!.titleTerms, docs[i]!.bodyTerms]) {
        forEachTerm(s, (from, to) => {
          let e: { df: number; last: number } | undefined;
          if (to - from === 2) {
            const k = pairKey(s.charCodeAt(from), s.charCodeAt(from + 1));
            e = pairs.get(k);
            if (!e) {
              e = { df: 0, last: 0 };
              pairs.set(k, e);
            }
          } else {
            const t = s.slice(from, to);
            e = others.get(t);
            if (!e) {
              e = { df: 0, last: 0 };
              others.set(t, e);
            }
          }
          if (e.last !== sampled) {
            e.last = sampled;
            e.df++;
          }
        });
      }
    }
    const min = Math.max(2, Math.ceil(sampled * FREQUENT_SHARE));
    const watch = Math.max(2, Math.ceil(sampled * WATCH_SHARE));
    const out: string[] = [];
    const consider = (t: string, df: number) => {
      if (df < watch || this.terms.has(t)) return;
      if (df >= min) out.push(t);
      else if (this.watched < MAX_WATCHED && !this.knownAt.has(t)) {
        this.know(t);
        this.watched++;
      }
    };
    for (const [k, e] of pairs) if (e.df >= watch) consider(String.fromCharCode(Math.floor(k / 0x10000), k % 0x10000), e.df);
    for (const [t, e] of others) consider(t, e.df);
    return out;
  }

  private writeChunk(term: string, b: PostingsBuilder, level: number): void {
    this.st.insertChunk.run(term, level, b.first, b.last, b.n, b.docs.bytes(), b.pos.bytes());
  }

  /**
   * A list built at promotion, written in pieces of at most PROMOTED_PIECE postings (never
   * merged), so a scan can split it between threads (parallel.ts) and a range read can skip.
   */
  private writePromoted(term: string, b: PostingsBuilder): void {
    if (b.n <= PROMOTED_PIECE) {
      this.writeChunk(term, b, PROMOTED_LEVEL);
      return;
    }
    const p = decodePostings([{ n: b.n, docs: b.docs.bytes(), pos: b.pos.bytes() }], true);
    for (let from = 0; from < p.n; from += PROMOTED_PIECE) {
      this.writeChunk(term, encodePostings(p, undefined, from, Math.min(p.n, from + PROMOTED_PIECE)), PROMOTED_LEVEL);
    }
  }

  /**
   * Start collecting hot-term postings for an ingest batch. Call inside the batch's write
   * transaction (so the hot set read here cannot change before the batch commits).
   */
  beginBatch(): HotBatch | null {
    const set = this.termSet();
    if (set === null) return null;
    const hot = set.terms.map((t) => this.terms.has(t));
    const needs = hot.lastIndexOf(true) + 1;
    return new HotBatch(
      hot,
      // Located against a set that holds every hot term (a prefix of `known` at least this long).
      (id) => (this.handedLength.get(id) ?? 0) >= needs,
      () => {
        if (this.matcher === null || this.matcher.set !== set) this.matcher = new TermMatcher(set);
        return this.matcher;
      },
      (index, b) => {
        const term = set.terms[index]!;
        this.writeChunk(term, b, 0);
        this.mergeTail(term);
      },
    );
  }

  /** Merge a term's newest chunks while the eight newest share one level. */
  private mergeTail(term: string): void {
    for (;;) {
      const rows = this.st.newest.all(term, MERGE_FANOUT);
      if (rows.length < MERGE_FANOUT || rows[0]!.level >= PROMOTED_LEVEL || rows.some((r) => r.level !== rows[0]!.level)) return;
      rows.reverse();
      const p = decodePostings(
        rows.map((r) => this.st.chunk.get(r.id)!),
        true,
      );
      // Postings of deleted documents are dropped here (a rowid is never reused).
      const dead = p.n === 0 ? [] : this.st.deadIn.all(p.docs[0]!, p.docs[p.n - 1]!);
      const merged = encodePostings(p, dead.length > 0 ? new Set(dead) : undefined);
      for (const r of rows) this.st.deleteChunk.run(r.id);
      if (merged.n > 0) this.writeChunk(term, merged, rows[0]!.level + 1);
    }
  }
}

/** Postings of hot terms (and phrases) for the documents of one ingest batch (rowids ascending). */
export class HotBatch {
  /** By index in the handed-out term set (`known`). */
  private readonly builders: (PostingsBuilder | undefined)[] = [];

  constructor(
    /** Whether each term of the set is hot (the rest are only watched). */
    private readonly hot: readonly boolean[],
    /** Whether hits located against that set id cover every hot term. */
    private readonly usable: (setId: number) => boolean,
    private readonly matcher: () => TermMatcher,
    private readonly write: (index: number, b: PostingsBuilder) => void,
  ) {}

  /**
   * Add a document: its occurrences located by an analysis worker (`located`, when that set
   * covers every hot term), or else located here from its index term strings. Watched terms'
   * hits are skipped.
   */
  add(rowid: number, titleTerms: string, bodyTerms: string, located?: LocatedTerms): void {
    const hits = located && this.usable(located.set) ? located.hits : this.matcher().match(titleTerms, bodyTerms);
    forEachHit(hits, (index, tfTitle, tfBody, start, end) => {
      if (!this.hot[index]) return;
      let b = this.builders[index];
      if (!b) {
        b = new PostingsBuilder();
        this.builders[index] = b;
      }
      b.addEncoded(rowid, tfTitle, tfBody, hits, start, end);
    });
  }

  finish(): void {
    this.builders.forEach((b, i) => {
      if (b) this.write(i, b);
    });
    this.builders.length = 0;
  }
}

/** A phrase's postings (start positions per column) from its terms' decoded lists with positions. */
export function phrasePostings(lists: Postings[]): PostingsBuilder {
  const b = new PostingsBuilder();
  const cur = lists.map(() => 0);
  // One document's positions of each term: title ones, then body ones.
  const bufs = lists.map(() => new Int32Array(64));
  const d = lists[0]!;
  outer: for (let a = 0; a < d.n; a++) {
    const doc = d.docs[a]!;
    cur[0] = a;
    for (let j = 1; j < lists.length; j++) {
      const l = lists[j]!;
      let c = cur[j]!;
      while (c < l.n && l.docs[c]! < doc) c++;
      cur[j] = c;
      if (c >= l.n) break outer;
      if (l.docs[c] !== doc) continue outer;
    }
    const title: Int32Array[] = [];
    const body: Int32Array[] = [];
    lists.forEach((l, j) => {
      const k = cur[j]!;
      const tt = l.tfTitle[k]!;
      const total = tt + l.tfBody[k]!;
      if (bufs[j]!.length < total) bufs[j] = new Int32Array(total * 2);
      positionsOf(l, k, bufs[j]!);
      title.push(bufs[j]!.subarray(0, tt));
      body.push(bufs[j]!.subarray(tt, total));
    });
    const t = phraseStarts(title);
    const bd = phraseStarts(body);
    if (t.length > 0 || bd.length > 0) b.add(doc, t, bd);
  }
  return b;
}
