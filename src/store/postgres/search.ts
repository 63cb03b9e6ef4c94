/**
 * Search on PostgreSQL: the SQLite engine's query execution (sqlite/search.ts: posting
 * lists, BM25, phrases, concepts, filters, collapse, facets, exact totals, top k over
 * in-memory columns) over the posting segments kept in the database (segments.ts).
 *
 * Each search runs in one read-only snapshot (REPEATABLE READ) on one connection:
 *
 * 1. Columns: this process's in-memory columns (sqlite/columns.ts: published time, type,
 *    language, source, cluster, token count, liveness; ~28 bytes a document) are brought up
 *    to the snapshot from `doc_changes` (every write to `documents` logs the seqs it touched
 *    under a new `doc_stats.rev`, by trigger), or loaded whole on first use or after falling
 *    behind the pruned log.
 * 2. Read ahead: for every term the query names, its entry in every segment (one index seek
 *    a term and segment, through an LRU cache of entries: segments never change, a merge
 *    writes a new one); for a prefix leaf, the terms of its prefix; the documents of
 *    ticker and label filters.
 * 3. The engine runs synchronously over what was read (every term "has a list").
 *
 * So answers equal the SQLite engine's by construction (the cross-backend property test
 * checks totals, order and scores). Queries past the time budget (LODESTONE_QUERY_TIMEOUT_MS)
 * are stopped: statements by statement_timeout, matching by the engine's deadline.
 */
import type pg from 'pg';
import { labelFor, normalizeTicker } from '../../analysis/entities.js';
import { config } from '../../core/config.js';
import { LodestoneError } from '../../core/errors.js';
import type { QueryNode, TextNode } from '../../search/query/ast.js';
import type { RawSearchResult, SearchRequest } from '../ports.js';
import { DocColumns } from '../sqlite/columns.js';
import { type DocSet, EMPTY, type Range, within } from '../sqlite/docset.js';
import { type ChunkSpan, phrasePostings } from '../sqlite/hot.js';
import { bm25Scores, phraseMatches } from '../sqlite/phrase.js';
import { type PostingChunk, type Postings, decodePostings } from '../sqlite/postings.js';
import type { ScanWorker } from '../sqlite/parallel.js';
import { type IndexReads, type PostingLists, SqliteSearcher } from '../sqlite/search.js';
import { type Entry, findEntry, prefixEntries, varint } from './segments.js';

/** Bytes of segment entries kept in memory (the lists of terms searched lately). */
const ENTRY_CACHE_BYTES = 128 * 1024 * 1024;

interface CorpusStats {
  documents: number;
  avgTokens: number;
  rev: number;
}

/** An entry read from a segment, numbered for the engine's per-chunk caches (a number is never reused). */
interface Listed extends Entry {
  id: number;
  seg: number;
}
let nextEntryId = 1;

/** What one search read ahead. */
interface ReadAhead {
  lists: Map<string, Listed[]>;
  prefixes: Map<string, Map<string, Entry[]>>;
  filterDocs: Map<string, number[]>;
}

export class PgSearcher {
  private columns = new DocColumns(null);
  private rev = -1;
  private engine: SqliteSearcher;
  private current: ReadAhead = { lists: new Map(), prefixes: new Map(), filterDocs: new Map() };
  /** Entries by `${segment}\t${term}` (null: the term is not in that segment), least recently used first. */
  private readonly cache = new Map<string, Listed | null>();
  private cacheBytes = 0;
  /** Column catch-ups run one at a time (each applies one snapshot's changes). */
  private catching: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly scanWorker: ScanWorker | null = null,
  ) {
    this.engine = this.newEngine();
  }

  private newEngine(): SqliteSearcher {
    const reads: IndexReads = {
      matchLeaf: (leaf, withScores, range) => this.prefixSet(leaf, withScores, range),
      tickerDocs: (t) => this.current.filterDocs.get(`t\t${t}`) ?? [],
      labelDocs: (l) => this.current.filterDocs.get(`l\t${l}`) ?? [],
      atomically: (fn) => fn(),
    };
    return new SqliteSearcher(reads, this.columns, new SegmentLists(new Map(), this.columns), this.scanWorker);
  }

  async corpusStats(client: pg.Pool | pg.PoolClient = this.pool): Promise<CorpusStats> {
    const r = await client.query<{ documents: number; tokens: number; rev: number }>('SELECT documents, tokens, rev FROM doc_stats WHERE id = 1');
    const s = r.rows[0]!;
    return { documents: Number(s.documents), avgTokens: s.documents > 0 ? Number(s.tokens) / Number(s.documents) : 0, rev: Number(s.rev) };
  }

  /** Run `fn` on one connection in a read-only snapshot with the query time budget. */
  private async budgeted<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      const ms = Math.max(1, Math.round(config().queryTimeoutMs));
      await c.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = ${ms}`);
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      if ((err as { code?: string }).code === '57014') {
        throw new LodestoneError(
          'query_too_costly',
          `the query was stopped after ${Math.round(config().queryTimeoutMs)} ms (its time budget): use fewer terms, or words of two or more characters`,
        );
      }
      throw err;
    } finally {
      c.release();
    }
  }

  async search(req: SearchRequest): Promise<RawSearchResult> {
    return this.budgeted(async (c) => {
      const segs = await this.catchUp(c);
      const ahead = await this.readAhead(c, segs, req.query);
      // From here on synchronous: no other search can change what the engine reads.
      this.current = ahead;
      this.engine.hot = new SegmentLists(ahead.lists, this.columns);
      return this.engine.search(req);
    });
  }

  /** Live documents matching one leaf (explain's df). */
  async documentFrequency(leaf: QueryNode): Promise<number> {
    return this.budgeted(async (c) => {
      const segs = await this.catchUp(c);
      const ahead = await this.readAhead(c, segs, leaf);
      this.current = ahead;
      this.engine.hot = new SegmentLists(ahead.lists, this.columns);
      return this.engine.documentFrequency(leaf);
    });
  }

  /**
   * Bring the columns up to this snapshot (see the module comment) and return its segments
   * (ids in document order).
   */
  private async catchUp(c: pg.PoolClient): Promise<number[]> {
    const s = (
      await c.query<{ rev: number; pruned: string | null; segs: number[] }>(
        `SELECT rev, (SELECT value FROM meta WHERE key = 'changes_pruned') AS pruned,
           ARRAY(SELECT id FROM segments ORDER BY first_seq) AS segs FROM doc_stats WHERE id = 1`,
      )
    ).rows[0]!;
    const rev = Number(s.rev);
    const run = this.catching.then(async () => {
      if (rev <= this.rev) return;
      if (this.rev < 0 || this.rev < Number(s.pruned ?? 0)) {
        // Whole: at first use, or when the log no longer holds every change since ours.
        const cols = new DocColumns(null);
        const rows = await c.query<{ seq: number; published_at: number | null; type: string; lang: string; source: string; cluster_id: number | null; ntokens: number }>(
          'SELECT seq, published_at, type, lang, source, cluster_id, ntokens FROM documents ORDER BY seq',
        );
        for (const r of rows.rows) cols.set(r.seq, r.published_at, r.type, r.lang, r.source, r.cluster_id, r.ntokens);
        this.columns = cols;
        this.engine = this.newEngine();
      } else {
        const changed = await c.query<{ seq: number; published_at: number | null; type: string; lang: string; source: string; cluster_id: number | null; ntokens: number | null }>(
          `SELECT x.seq, d.published_at, d.type, d.lang, d.source, d.cluster_id, d.ntokens
           FROM (SELECT DISTINCT seq FROM doc_changes WHERE rev > $1) x LEFT JOIN documents d ON d.seq = x.seq ORDER BY x.seq`,
          [this.rev],
        );
        for (const r of changed.rows) {
          if (r.ntokens === null) this.columns.bury(r.seq);
          else this.columns.set(r.seq, r.published_at, r.type, r.lang, r.source, r.cluster_id, r.ntokens);
        }
      }
      this.rev = rev;
    });
    this.catching = run.catch(() => {});
    await run;
    return s.segs.map(Number);
  }

  /** Read ahead every list, prefix and filter the query names (see the module comment). */
  private async readAhead(c: pg.PoolClient, segs: number[], query: QueryNode | null): Promise<ReadAhead> {
    const terms = new Set<string>();
    const phrases = new Map<string, string[]>();
    const prefixLeaves: TextNode[] = [];
    const filters = new Map<string, { table: 'tickers' | 'labels'; value: string }>();
    const walk = (n: QueryNode): void => {
      switch (n.kind) {
        case 'text':
          if (n.prefix && n.terms.length > 0) {
            prefixLeaves.push(n);
            for (const t of n.terms.slice(0, -1)) terms.add(t);
          } else {
            for (const t of n.terms) terms.add(t);
            if (n.terms.length > 1) phrases.set(n.terms.join(' '), n.terms);
          }
          return;
        case 'filter':
          if (n.field === 'type' || n.field === 'lang' || n.field === 'source') return;
          if (n.field === 'tag' || n.field === 'level') {
            const l = labelFor(n.field, n.value);
            filters.set(`l\t${l}`, { table: 'labels', value: l });
          } else {
            const t = normalizeTicker(n.value);
            filters.set(`t\t${t}`, { table: 'tickers', value: t });
          }
          return;
        case 'not':
          walk(n.child);
          return;
        case 'and':
        case 'or':
          for (const ch of n.children) walk(ch);
      }
    };
    if (query !== null) walk(query);
    const lists = await this.lists(c, segs, [...terms]);
    for (const [key, parts] of phrases) lists.set(key, this.phraseList(segs, key, parts, lists));
    const prefixes = new Map<string, Map<string, Entry[]>>();
    for (const leaf of prefixLeaves) {
      const p = leaf.terms[leaf.terms.length - 1]!;
      if (!prefixes.has(p)) prefixes.set(p, await this.prefixTerms(c, segs, p));
    }
    const filterDocs = new Map<string, number[]>();
    for (const [key, f] of filters) {
      const col = f.table === 'tickers' ? 'ticker' : 'label';
      const rows = await c.query<{ seq: number }>(`SELECT seq FROM ${f.table} WHERE ${col} = $1`, [f.value]);
      filterDocs.set(key, rows.rows.map((r) => r.seq));
    }
    return { lists, prefixes, filterDocs };
  }

  /** Each term's entries in the given segments (document order), from the cache or one query for the rest. */
  private async lists(c: pg.PoolClient, segs: number[], terms: string[]): Promise<Map<string, Listed[]>> {
    const out = new Map<string, Listed[]>();
    const missTerm: string[] = [];
    const missSeg: number[] = [];
    for (const t of terms) {
      for (const s of segs) {
        const key = `${s}\t${t}`;
        if (this.cache.has(key)) {
          const hit = this.cache.get(key)!;
          this.cache.delete(key);
          this.cache.set(key, hit);
        } else {
          missTerm.push(t);
          missSeg.push(s);
        }
      }
    }
    if (missTerm.length > 0) {
      const rows = await c.query<{ k: string; body: Buffer }>(
        `SELECT x.k, b.body FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS x(term, seg, k)
         CROSS JOIN LATERAL (SELECT body, last_term FROM seg_blocks
           WHERE seg = x.seg AND first_term <= x.term COLLATE "C" ORDER BY first_term DESC LIMIT 1) b
         WHERE b.last_term >= x.term COLLATE "C"`,
        [missTerm, missSeg],
      );
      const found = new Map<number, Buffer>();
      for (const r of rows.rows) found.set(Number(r.k) - 1, r.body);
      for (let i = 0; i < missTerm.length; i++) {
        const body = found.get(i);
        const e = body ? findEntry(body, missTerm[i]!) : null;
        // Copied: an entry must not keep its whole block alive in the cache.
        const listed: Listed | null = e ? { ...e, docs: e.docs.slice(), pos: e.pos.slice(), id: nextEntryId++, seg: missSeg[i]! } : null;
        this.remember(`${missSeg[i]}\t${missTerm[i]}`, listed);
      }
    }
    for (const t of terms) {
      const list: Listed[] = [];
      for (const s of segs) {
        const e = this.cache.get(`${s}\t${t}`);
        if (e) list.push(e);
      }
      out.set(t, list);
    }
    return out;
  }

  /**
   * A phrase's own list (the SQLite engine's hot phrases): in each segment, the documents
   * where its terms meet in order, with the phrase's start positions, matched once from the
   * terms' entries and then kept with them (a segment never changes). The engine then reads
   * one list, as for a term.
   */
  private phraseList(segs: number[], key: string, parts: string[], lists: Map<string, Listed[]>): Listed[] {
    const out: Listed[] = [];
    const bySeg = parts.map((t) => new Map((lists.get(t) ?? []).map((e) => [e.seg, e])));
    for (const s of segs) {
      const k = `${s}\t${key}`;
      let e = this.cache.get(k);
      if (e === undefined) {
        const entries = bySeg.map((m) => m.get(s));
        e = null;
        if (entries.every((x) => x !== undefined)) {
          const b = phrasePostings(entries.map((x) => decodePostings([x!], true)));
          if (b.n > 0) e = { term: key, seg: s, n: b.n, first: b.first, last: b.last, docs: b.docs.bytes().slice(), pos: b.pos.bytes().slice(), id: nextEntryId++ };
        }
        this.remember(k, e);
      } else {
        this.cache.delete(k);
        this.cache.set(k, e);
      }
      if (e) out.push(e);
    }
    return out;
  }

  private remember(key: string, e: Listed | null): void {
    this.cache.set(key, e);
    this.cacheBytes += key.length * 2 + 64 + (e ? e.docs.length + e.pos.length : 0);
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= ENTRY_CACHE_BYTES) break;
      this.cache.delete(k);
      this.cacheBytes -= k.length * 2 + 64 + (v ? v.docs.length + v.pos.length : 0);
    }
  }

  /** Terms starting with `prefix`, with their entries in document order. */
  private async prefixTerms(c: pg.PoolClient, segs: number[], prefix: string): Promise<Map<string, Entry[]>> {
    const rows = await c.query<{ seg: number; body: Buffer }>(
      `SELECT s.id AS seg, b.body FROM unnest($1::bigint[]) WITH ORDINALITY AS s(id, k) CROSS JOIN LATERAL (
         (SELECT body FROM seg_blocks WHERE seg = s.id AND first_term <= $2 COLLATE "C" ORDER BY first_term DESC LIMIT 1)
         UNION ALL
         (SELECT body FROM seg_blocks WHERE seg = s.id AND first_term > $2 COLLATE "C" AND first_term < $3 COLLATE "C" ORDER BY first_term)
       ) b ORDER BY s.k`,
      [segs, prefix, `${prefix}\u{10FFFF}`],
    );
    const out = new Map<string, Entry[]>();
    for (const r of rows.rows) {
      for (const e of prefixEntries(r.body, prefix)) {
        const list = out.get(e.term);
        if (list) list.push(e);
        else out.set(e.term, [e]);
      }
    }
    return out;
  }

  /**
   * A prefix leaf (`锂*`, `"出口 管*"`): as FTS5 matches it, a phrase whose last term is any
   * term with that prefix; its frequency in a document is the sum over those terms, its df
   * the documents holding any.
   */
  private prefixSet(leaf: TextNode, withScores: boolean, range?: Range): DocSet {
    if (!leaf.prefix) return EMPTY;
    const cols = this.columns;
    const alive = cols.alive;
    const titleOnly = leaf.field === 'title';
    const p = leaf.terms[leaf.terms.length - 1]!;
    const fixed: Postings[] = [];
    for (const t of leaf.terms.slice(0, -1)) {
      const entries = this.current.lists.get(t) ?? [];
      if (entries.length === 0) return EMPTY;
      fixed.push(decodePostings(entries, true));
    }
    const freq = new Map<number, number>();
    for (const entries of this.current.prefixes.get(p)?.values() ?? []) {
      const lists = [...fixed, decodePostings(entries, true)];
      phraseMatches(lists, titleOnly, (doc, w) => {
        if (alive[doc] !== 1) return;
        freq.set(doc, (freq.get(doc) ?? 0) + w);
      });
    }
    const ids = Int32Array.from([...freq.keys()].sort((a, b) => a - b));
    const set: DocSet = { ids, scores: null };
    if (withScores) {
      const w = new Float64Array(ids.length);
      for (let i = 0; i < ids.length; i++) w[i] = freq.get(ids[i]!)!;
      const { live, avgTokens } = cols.liveStats();
      set.scores = bm25Scores(ids, w, ids.length, live, avgTokens, cols.ntokens);
    }
    return within(set, withScores, range);
  }
}

/**
 * The engine's view of the lists one search read ahead: every term has a list (its entries
 * in every segment, one chunk each). A term "has" a list when a live document holds it, so
 * a translated variant no live document holds is left out as the SQLite engine leaves out
 * one FTS5 finds nothing for.
 */
class SegmentLists implements PostingLists {
  readonly threshold = 1;
  private readonly live = new Map<string, boolean>();
  private readonly byId = new Map<number, Listed>();

  constructor(
    private readonly lists: Map<string, Listed[]>,
    private readonly columns: DocColumns,
  ) {
    for (const l of lists.values()) for (const e of l) this.byId.set(e.id, e);
  }

  refresh(): void {}

  has(term: string): boolean {
    let v = this.live.get(term);
    if (v === undefined) {
      v = false;
      const alive = this.columns.alive;
      for (const e of this.lists.get(term) ?? []) {
        if (firstLive(e, alive)) {
          v = true;
          break;
        }
      }
      this.live.set(term, v);
    }
    return v;
  }

  chunks(term: string, withPositions: boolean, range?: { lo: number; hi: number }): PostingChunk[] {
    const out: PostingChunk[] = [];
    for (const e of this.lists.get(term) ?? []) {
      if (range && (e.last < range.lo || e.first > range.hi)) continue;
      out.push(withPositions ? { n: e.n, docs: e.docs, pos: e.pos } : { n: e.n, docs: e.docs });
    }
    return out;
  }

  loadChunks(term: string, withPositions: boolean, range?: { lo: number; hi: number }): PostingChunk[] {
    return this.chunks(term, withPositions, range);
  }

  postings(term: string, withPositions: boolean, range?: { lo: number; hi: number }): Postings {
    return decodePostings(this.chunks(term, withPositions, range), withPositions);
  }

  load(term: string, withPositions: boolean, range?: { lo: number; hi: number }): Postings {
    return this.postings(term, withPositions, range);
  }

  spans(term: string): ChunkSpan[] {
    return (this.lists.get(term) ?? []).map((e) => ({ id: e.id, n: e.n, first: e.first, last: e.last }));
  }

  chunk(s: ChunkSpan): PostingChunk {
    const e = this.byId.get(s.id)!;
    return { n: e.n, docs: e.docs };
  }

  queuePhrase(): void {}
}

/** Whether a live document holds the entry's term (its postings walked up to the first live one). */
function firstLive(e: Entry, alive: Uint8Array): boolean {
  const b = e.docs;
  const at = { i: 0 };
  let doc = 0;
  for (let k = 0; k < e.n; k++) {
    // Four varints a posting: the document gap, tf in title, tf in body, bytes of positions.
    doc += varint(b, at);
    for (let f = 0; f < 3; f++) varint(b, at);
    if (alive[doc] === 1) return true;
  }
  return false;
}
