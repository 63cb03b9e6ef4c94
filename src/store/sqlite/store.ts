/**
 * SQLite document store: better-sqlite3 in WAL mode. Documents, their paragraphs, their
 * full-text entries (FTS5, contentless, over analyzer terms), dedup fingerprints and
 * clusters live in one database file and commit in one transaction per batch.
 */
import { mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ANALYZER_NAME, type AnalyzedDocument } from '../../analysis/analyzer.js';
import { labelsOf } from '../../analysis/entities.js';
import type { TermSet } from '../../analysis/term-hits.js';
import { LodestoneError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import type { ClusterInfo, StoredDocument } from '../../core/types.js';
import { saneTime } from '../../core/time.js';
import { exactKey, signatureToBuffer } from '../../dedup/minhash.js';
import type { QueryNode, TextNode } from '../../search/query/ast.js';
import type { PortableRow, PortableTable } from '../records.js';
import { type DocRow, toStored } from '../rows.js';
import type {
  BackendInfo,
  DocumentStore,
  FacetCount,
  FetchRecord,
  SourceSummary,
  SummaryKey,
  SummaryRun,
  SummaryStatus,
  RawSearchResult,
  SearchRequest,
  StoreStats,
  UpsertResult,
} from '../ports.js';
import { Checkpointer } from './checkpointer.js';
import { logColumnChanges } from './column-log.js';
import { DocColumns } from './columns.js';
import { type HotBatch, HotIndex } from './hot.js';
import { MIGRATIONS } from './migrations.js';
import { ScanWorker } from './parallel.js';
import { FtsReader } from './fts-reader.js';
import { ftsPhrase } from './fts.js';
import { BODY_WEIGHT, queryBudgetMs, SqliteSearcher, sqliteReads, TITLE_WEIGHT } from './search.js';

import { SqliteClusters } from './clusters.js';
import { SqliteSources } from './sources.js';
import { SqliteSummaries } from './summaries.js';
import { SqliteWorkflowRepo } from './workflows.js';
export { BODY_WEIGHT, TITLE_WEIGHT } from './search.js';

export const DB_FILE = 'lodestone.db';

const DOC_COLUMNS =
  'id AS seq, public_id, key, external_id, title, source, url, published_at, fetched_at, ingested_at, type, lang, script, paragraphs, pages, metadata, tickers, content_hash, cluster_id, original_hash';

/** Public id for a document without an external id: stable, derived from its key. */
export function generatedId(key: string): string {
  return `d_${sha256Hex(key).slice(0, 16)}`;
}

export interface SqliteStoreOptions {
  readonly?: boolean;
  /**
   * A query leaf answered by FTS5 with at least this many matches promotes its terms to
   * hot posting lists (hot.ts). 0 disables promotion. Default HOT_THRESHOLD.
   */
  hotThreshold?: number;
  /** Closing saves a snapshot of the in-memory columns when it spares the next open this many rows (default 20,000). */
  snapshotMinRows?: number;
  /** Told once before an existing database is upgraded to a newer schema (which can take minutes on a large store). */
  onUpgrade?: (message: string) => void;
  /**
   * Split long single-list scans with a second thread (parallel.ts). For long-lived
   * processes (the server, benchmarks) on more than one core (the caller decides); a
   * one-shot CLI search would spend more starting the thread than it saves. Default false.
   */
  parallel?: boolean;
  /** Lists with at least this many postings are split (default 100,000; tests lower it). */
  parallelMin?: number;
}

export const HOT_THRESHOLD = 2000;

/** Closing saves a snapshot of the columns when it spares the next open this many rows. */
const SNAPSHOT_MIN_ROWS = 20_000;
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** A bulk ingest lets the checkpoint thread catch up when the WAL is larger than this. */
const WAL_CATCH_UP = 4 * JOURNAL_SIZE_LIMIT;
/** A batch this large is a bulk ingest: checkpoints move to their own thread (checkpointer.ts). */
const BULK_BATCH = 1000;
/** SQLite's default: checkpoint after a commit that leaves more than this many pages in the WAL. */
const AUTO_CHECKPOINT_PAGES = 1000;

export class SqliteStore implements DocumentStore {
  readonly backend = 'sqlite';
  readonly db: Database.Database;
  private readonly columns: DocColumns;
  private readonly scanWorker: ScanWorker | null;
  /** FTS5 prefix queries on a thread of their own (long-lived processes). */
  private readonly ftsReader: FtsReader | null;
  private readonly st: ReturnType<SqliteStore['prepare']>;
  /** Document reads by a list of rowids, one statement per list length, prepared on first use (~30 µs each). */
  private readonly reads = new Map<string, Database.Statement>();

  private read(sql: string): Database.Statement {
    let st = this.reads.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.reads.set(sql, st);
    }
    return st;
  }
  private readonly searcher: SqliteSearcher;
  private readonly hot: HotIndex;
  readonly workflows: SqliteWorkflowRepo;
  private readonly summaries: SqliteSummaries;
  private readonly sources: SqliteSources;
  private readonly snapshotMinRows: number;
  /** Duplicate clusters: the in-memory candidates and the cluster bookkeeping (clusters.ts). */
  private readonly clusterKeeper: SqliteClusters;
  private checkpointer: Checkpointer | null = null;
  private checkpointerFailed = false;

  private constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.db = db;
    this.columns = new DocColumns(db);
    this.st = this.prepare();
    // A read-only store cannot promote: it reads existing hot lists and asks FTS5 for the rest.
    const readonly = options.readonly ?? false;
    this.hot = new HotIndex(db, readonly ? 0 : (options.hotThreshold ?? HOT_THRESHOLD), !readonly);
    this.scanWorker = options.parallel ? new ScanWorker() : null;
    this.scanWorker?.warm();
    this.ftsReader = options.parallel ? new FtsReader(db.name, { title: TITLE_WEIGHT, body: BODY_WEIGHT }) : null;
    this.searcher = new SqliteSearcher(sqliteReads(db), this.columns, this.hot, this.scanWorker, options.parallelMin);
    this.workflows = new SqliteWorkflowRepo(db);
    this.summaries = new SqliteSummaries(db);
    this.clusterKeeper = new SqliteClusters(db);
    this.sources = new SqliteSources(db);
    this.snapshotMinRows = options.snapshotMinRows ?? SNAPSHOT_MIN_ROWS;
  }

  /** Scans the second thread answered since opening (`parallel`). */
  get parallelScans(): number {
    return this.scanWorker?.scans ?? 0;
  }

  /** Open (creating if needed) the database in `dir`, applying pending migrations. */
  static open(dir: string, options: SqliteStoreOptions = {}): SqliteStore {
    mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, DB_FILE), { readonly: options.readonly ?? false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    // An FTS5 merge can write gigabytes in one transaction, growing the WAL file to that size;
    // after the next checkpoint it is cut back to 64 MB instead of keeping that size on disk.
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    migrate(db, (from, to) => {
      const n = db.prepare('SELECT count(*) FROM documents').pluck().get() as number;
      options.onUpgrade?.(
        `Upgrading ${join(dir, DB_FILE)} from schema ${from} to ${to} (${n.toLocaleString('en')} documents; once, may take a few minutes on a large store)…`,
      );
    });
    return new SqliteStore(db, options);
  }

  private prepare() {
    const db = this.db;
    return {
      byKey: db.prepare<[string], { id: number; public_id: string; record_hash: string; cluster_id: number | null }>(
        'SELECT id, public_id, record_hash, cluster_id FROM documents WHERE key = ?',
      ),
      insert: db.prepare(
        `INSERT INTO documents (public_id, key, external_id, title, source, url, published_at, fetched_at, ingested_at,
           type, lang, script, paragraphs, pages, metadata, tickers, content_hash, record_hash, norm_hash, original_hash,
           ntokens, minhash, shingles, dedup_keys, figures, cluster_id, rev)
         VALUES (@public_id, @key, @external_id, @title, @source, @url, @published_at, @fetched_at, @ingested_at,
           @type, @lang, @script, @paragraphs, @pages, @metadata, @tickers, @content_hash, @record_hash, @norm_hash,
           @original_hash, @ntokens, @minhash, @shingles, @dedup_keys, @figures, NULL, @rev)`,
      ),
      ftsInsert: db.prepare('INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)'),
      ftsDelete: db.prepare('DELETE FROM fts WHERE rowid = ?'),
      tickerInsert: db.prepare('INSERT OR IGNORE INTO tickers (ticker, doc_id) VALUES (?, ?)'),
      tickerDelete: db.prepare('DELETE FROM tickers WHERE doc_id = ?'),
      labelInsert: db.prepare('INSERT OR IGNORE INTO labels (label, doc_id) VALUES (?, ?)'),
      anyDeleted: db.prepare('SELECT 1 FROM deleted_keys LIMIT 1'),
      forgetDeleted: db.prepare('DELETE FROM deleted_keys WHERE key = ?'),
      isDeleted: db.prepare<[string], number>('SELECT 1 FROM deleted_keys WHERE key = ?').pluck(),
      rememberDeleted: db.prepare('INSERT INTO deleted_keys (key, deleted_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET deleted_at = excluded.deleted_at'),
      labelDelete: db.prepare('DELETE FROM labels WHERE doc_id = ?'),
      getRev: db.prepare<[], string>("SELECT value FROM meta WHERE key = 'rev'").pluck(),
      setRev: db.prepare("INSERT INTO meta (key, value) VALUES ('rev', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      deleteDoc: db.prepare('DELETE FROM documents WHERE id = ?'),
      tombstone: db.prepare('INSERT INTO tombstones (doc_id, rev) VALUES (?, ?)'),
      byPublicId: db.prepare<[string], DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE public_id = ? ORDER BY id`),
      byRowid: db.prepare<[number], DocRow>(`SELECT ${DOC_COLUMNS} FROM documents WHERE id = ?`),
      clusterRow: db.prepare<[number], { id: number; canonical_id: number; size: number }>(
        'SELECT id, canonical_id, size FROM clusters WHERE id = ?',
      ),
      memberRows: db.prepare<
        [number],
        { id: number; public_id: string; title: string; source: string; url: string | null; published_at: number | null }
      >(
        'SELECT id, public_id, title, source, url, published_at FROM documents WHERE cluster_id = ? ORDER BY published_at IS NULL, published_at, id',
      ),
    };
  }

  /** The checkpoint thread of a bulk ingest, once started (tests, stats). */
  get checkpoints(): Checkpointer | null {
    return this.checkpointer;
  }

  /**
   * Move checkpoints to their own thread for the rest of this store's life, on a machine
   * with a core to spare; if the thread cannot start or dies, this connection checkpoints
   * itself again, as SQLite does by default.
   */
  private startCheckpointer(): void {
    if (this.checkpointer !== null || this.checkpointerFailed || availableParallelism() < 2) return;
    const fallBack = () => {
      this.checkpointer = null;
      this.checkpointerFailed = true;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    };
    try {
      this.checkpointer = new Checkpointer({ file: this.db.name, journalSizeLimit: JOURNAL_SIZE_LIMIT }, fallBack);
      this.db.pragma('wal_autocheckpoint = 0');
    } catch {
      fallBack();
    }
  }

  private nextRev(): number {
    const cur = Number(this.st.getRev.get() ?? '0');
    const next = cur + 1;
    this.st.setRev.run(String(next));
    return next;
  }

  termsToLocate(): TermSet | null {
    return this.hot.termSet();
  }

  async upsert(batch: AnalyzedDocument[]): Promise<UpsertResult[]> {
    // The WAL starts over only at a write transaction that finds every frame checkpointed;
    // a writer that begins the next batch while the thread still checkpoints the last one
    // appends instead (100,000 documents: the WAL reached 1.15 GB). Past WAL_CATCH_UP bytes,
    // wait for the thread to catch up first.
    if (this.checkpointer !== null && this.checkpointer.walBytes() > WAL_CATCH_UP) await this.checkpointer.idle();
    return this.upsertSync(batch);
  }

  upsertSync(batch: AnalyzedDocument[]): UpsertResult[] {
    // IMMEDIATE: the write lock is taken before the hot-term set is read, so a promotion
    // by another connection cannot slip in between and miss this batch's documents.
    let rev = 0;
    const run = this.db.transaction((items: AnalyzedDocument[]) => {
      rev = this.nextRev();
      const now = Date.now();
      const hot = this.hot.beginBatch();
      this.clusterKeeper.begin(rev);
      const results: UpsertResult[] = [];
      for (const ad of items) results.push(this.upsertOne(ad, rev, now, hot));
      // A document stored again explicitly is no longer remembered as deleted.
      if (this.st.anyDeleted.get() !== undefined) for (const ad of items) this.st.forgetDeleted.run(ad.doc.key);
      hot?.finish();
      logColumnChanges(this.db, rev);
      return results;
    });
    let results: UpsertResult[];
    try {
      results = run.immediate(batch);
    } catch (e) {
      this.clusterKeeper.rolledBack();
      throw e;
    }
    this.clusterKeeper.committed(rev);
    this.columns.markDirty();
    this.hot.forgetOccurrences();
    const frequent = this.hot.frequentTerms(batch.map((b) => b.analysis));
    if (frequent.length > 0) this.hot.promote(frequent);
    // After the promotions' own transaction too: what the thread has checkpointed when the
    // next batch begins must be everything, or the WAL cannot start over.
    if (batch.length >= BULK_BATCH) this.startCheckpointer();
    this.checkpointer?.request();
    return results;
  }

  private upsertOne(
    ad: AnalyzedDocument,
    rev: number,
    now: number,
    hot: HotBatch | null,
  ): UpsertResult {
    const { doc, analysis: a } = ad;
    const existing = this.st.byKey.get(doc.key);
    if (existing && existing.record_hash === a.recordHash) {
      return {
        key: doc.key,
        id: existing.public_id,
        seq: existing.id,
        status: 'unchanged',
        clusterId: existing.cluster_id,
      };
    }
    const publicId = doc.externalId ?? generatedId(doc.key);
    const hasPages = doc.paragraphs.some((p) => p.page !== undefined);
    const row = {
      public_id: publicId,
      key: doc.key,
      external_id: doc.externalId,
      title: doc.title,
      source: doc.source,
      url: doc.url,
      published_at: doc.publishedAt,
      fetched_at: doc.fetchedAt,
      ingested_at: now,
      type: doc.type,
      lang: a.lang,
      script: a.script,
      paragraphs: JSON.stringify(doc.paragraphs.map((p) => p.text)),
      pages: hasPages ? JSON.stringify(doc.paragraphs.map((p) => p.page ?? null)) : null,
      metadata: JSON.stringify(doc.metadata),
      tickers: a.tickers.join(' '),
      content_hash: a.contentHash,
      record_hash: a.recordHash,
      norm_hash: a.normHash,
      original_hash: doc.originalHash ?? null,
      ntokens: a.ntokens,
      minhash: signatureToBuffer(a.minhash),
      shingles: a.shingles,
      dedup_keys: '', // legacy column: the keys live in lsh_keys (migration 12)
      figures: JSON.stringify(a.figures),
      rev,
    };
    if (existing) {
      // Changed content gets a new rowid: what is indexed under a rowid never changes, so
      // hot posting lists only ever grow (the old rowid is tombstoned like a delete).
      this.clusterKeeper.remove(existing.id, existing.cluster_id, rev);
      this.deleteIndexEntries(existing.id);
      this.st.deleteDoc.run(existing.id);
      this.st.tombstone.run(existing.id, rev);
    }
    const rowid = Number(this.st.insert.run(row).lastInsertRowid);
    this.st.ftsInsert.run(rowid, a.titleTerms, a.bodyTerms);
    hot?.add(rowid, a.titleTerms, a.bodyTerms, ad.located);
    for (const t of a.tickers) this.st.tickerInsert.run(t, rowid);
    for (const l of labelsOf(doc.metadata)) this.st.labelInsert.run(l, rowid);
    const clusterId = this.clusterKeeper.add(rowid, ad, rev);
    return { key: doc.key, id: publicId, seq: rowid, status: existing ? 'updated' : 'inserted', clusterId };
  }

  /** Remove a document's full-text, ticker and label entries (before an update or delete; its dedup keys go with `clusterKeeper.remove`). */
  private deleteIndexEntries(rowid: number): void {
    this.st.ftsDelete.run(rowid);
    this.st.tickerDelete.run(rowid);
    this.st.labelDelete.run(rowid);
  }

  async deleteBySeq(rowids: number[]): Promise<number> {
    let rev = 0;
    const run = this.db.transaction((ids: number[]) => {
      rev = this.nextRev();
      this.clusterKeeper.begin(rev, false);
      let n = 0;
      for (const id of ids) {
        const row = this.st.byRowid.get(id);
        if (!row) continue;
        this.clusterKeeper.remove(id, row.cluster_id, rev);
        this.deleteIndexEntries(id);
        this.st.deleteDoc.run(id);
        this.st.tombstone.run(id, rev);
        n++;
      }
      logColumnChanges(this.db, rev);
      return n;
    });
    let n: number;
    try {
      n = run(rowids);
    } catch (e) {
      this.clusterKeeper.rolledBack();
      throw e;
    }
    this.clusterKeeper.committed(rev);
    this.columns.markDirty();
    this.hot.forgetOccurrences();
    return n;
  }

  async findByKey(key: string): Promise<StoredDocument | null> {
    const row = this.st.byKey.get(key);
    return row ? this.getBySeq(row.id) : null;
  }

  async findByPublicId(id: string): Promise<StoredDocument[]> {
    return this.st.byPublicId.all(id).map(toStored);
  }

  async getBySeq(rowid: number): Promise<StoredDocument | null> {
    const r = this.st.byRowid.get(rowid);
    return r ? toStored(r) : null;
  }

  async getManyBySeq(rowids: number[]): Promise<Map<number, StoredDocument>> {
    const out = new Map<number, StoredDocument>();
    for (let i = 0; i < rowids.length; i += 500) {
      const chunk = rowids.slice(i, i + 500);
      const rows = this.read(`SELECT ${DOC_COLUMNS} FROM documents WHERE id IN (${chunk.map(() => '?').join(',')})`).all(
        ...chunk,
      ) as DocRow[];
      for (const r of rows) out.set(r.seq, toStored(r));
    }
    return out;
  }

  async search(req: SearchRequest): Promise<RawSearchResult> {
    // One-character (prefix) leaves are FTS5 prefix queries over every word starting with
    // the character; with a second thread, they are answered there while this one serves
    // other requests, then the search runs with them in hand.
    const prefixes = this.ftsReader ? positiveAndNegativeLeaves(req.query).filter((n) => n.prefix && n.terms.length > 0) : [];
    if (prefixes.length === 0 || !this.ftsReader) return this.searcher.search(req);
    const sets = await this.ftsReader.match(prefixes.map(ftsPhrase), queryBudgetMs());
    return this.searcher.search(req, new Map(prefixes.map((n, i) => [n, sets[i]!])));
  }

  async rememberDeleted(keys: string[], at: number): Promise<void> {
    this.db.transaction(() => {
      for (const k of keys) this.st.rememberDeleted.run(k, at);
    })();
  }

  async deletedKeys(keys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (this.st.anyDeleted.get() === undefined) return out;
    for (const k of keys) if (this.st.isDeleted.get(k) !== undefined) out.add(k);
    return out;
  }

  async labelCounts(req: SearchRequest, kind: 'tag' | 'level', max: number, top: number) {
    const all = await this.search({ ...req, collapse: false, facets: false, offset: 0, limit: max });
    const ids = all.hits.map((h) => h.seq);
    if (ids.length === 0) return { counted: 0, total: all.total, values: [] };
    const rows = this.db
      .prepare<[string, string, string, number], { label: string; n: number }>(
        // A story (a duplicate cluster) counts once, as the collapsed results do.
        `SELECT l.label, count(DISTINCT coalesce(d.cluster_id, -d.id)) AS n FROM labels AS l JOIN documents AS d ON d.id = l.doc_id
         WHERE l.doc_id IN (SELECT value FROM json_each(?)) AND l.label >= ? AND l.label < ?
         GROUP BY l.label ORDER BY n DESC, l.label LIMIT ?`,
      )
      .all(JSON.stringify(ids), `${kind}:`, `${kind};`, top);
    return { counted: ids.length, total: all.total, values: rows.map((r) => ({ value: r.label.slice(kind.length + 1), count: r.n })) };
  }

  searchSync(req: SearchRequest): RawSearchResult {
    return this.searcher.search(req);
  }

  async documentFrequency(leaf: QueryNode): Promise<number> {
    return this.searcher.documentFrequency(leaf);
  }

  async cluster(clusterId: number): Promise<ClusterInfo | null> {
    const c = this.st.clusterRow.get(clusterId);
    if (!c) return null;
    const members = this.st.memberRows.all(clusterId);
    return {
      id: c.id,
      size: members.length,
      canonical: members[0]?.public_id ?? '',
      members: members.map((m) => ({
        id: m.public_id,
        title: m.title,
        source: m.source,
        url: m.url,
        publishedAt: saneTime(m.published_at),
      })),
    };
  }

  async clusters(minSize: number): Promise<ClusterInfo[]> {
    const rows = this.db
      .prepare(
        `SELECT d.cluster_id, d.public_id, d.title, d.source, d.url, d.published_at FROM documents d
         JOIN clusters c ON c.id = d.cluster_id WHERE c.size >= ?
         ORDER BY d.cluster_id, d.published_at IS NULL, d.published_at, d.id`,
      )
      .all(Math.max(2, minSize)) as {
      cluster_id: number;
      public_id: string;
      title: string;
      source: string;
      url: string | null;
      published_at: number | null;
    }[];
    const out: ClusterInfo[] = [];
    let cur: ClusterInfo | null = null;
    for (const r of rows) {
      if (!cur || cur.id !== r.cluster_id) {
        cur = { id: r.cluster_id, size: 0, canonical: r.public_id, members: [] };
        out.push(cur);
      }
      cur.size++;
      cur.members.push({ id: r.public_id, title: r.title, source: r.source, url: r.url, publishedAt: saneTime(r.published_at) });
    }
    return out.sort((x, y) => y.size - x.size || x.id - y.id);
  }

  async stats(): Promise<StoreStats> {
    const one = (sql: string) => Number(this.db.prepare(sql).pluck().get() ?? 0);
    return {
      documents: one('SELECT count(*) FROM documents'),
      clusters: one('SELECT count(*) FROM clusters'),
      clusteredDocuments: one('SELECT count(*) FROM documents WHERE cluster_id IS NOT NULL'),
      sources: this.db
        .prepare('SELECT source AS value, count(*) AS count FROM documents GROUP BY source ORDER BY count DESC')
        .all() as FacetCount[],
      analyzer: String(this.db.prepare("SELECT value FROM meta WHERE key = 'analyzer'").pluck().get() ?? ''),
      schemaVersion: Number(this.db.pragma('user_version', { simple: true })),
      backend: this.backendInfo(),
    };
  }

  private backendInfo(): BackendInfo {
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    const file = this.db.name;
    const parts = [
      { name: 'database', bytes: size(file) },
      { name: 'wal', bytes: size(`${file}-wal`) },
    ];
    return {
      name: 'sqlite',
      version: String(this.db.prepare('SELECT sqlite_version()').pluck().get()),
      location: file,
      sizeBytes: parts.reduce((a, p) => a + p.bytes, 0),
      parts,
    };
  }

  leafExpression(leaf: TextNode): string {
    return ftsPhrase(leaf);
  }


  getSummary(k: SummaryKey): Promise<string | null> {
    return this.summaries.getSummary(k);
  }

  putSummary(k: SummaryKey, body: string): Promise<void> {
    return this.summaries.putSummary(k, body);
  }

  setSummaryStatus(k: Omit<SummaryKey, 'template'>, st: SummaryStatus): Promise<void> {
    return this.summaries.setSummaryStatus(k, st);
  }

  getSummaryStatus(k: Omit<SummaryKey, 'template'>): Promise<SummaryStatus | null> {
    return this.summaries.getSummaryStatus(k);
  }

  recordSummaryRun(r: SummaryRun): Promise<void> {
    return this.summaries.recordSummaryRun(r);
  }

  listSources(): Promise<SourceSummary[]> {
    return this.sources.listSources();
  }

  recordFetch(f: FetchRecord): Promise<void> {
    return this.sources.recordFetch(f);
  }

  async deleteSource(name: string): Promise<number> {
    const ids = this.db.prepare('SELECT id FROM documents WHERE source = ?').pluck().all(name) as number[];
    let n = 0;
    for (let i = 0; i < ids.length; i += 2000) n += await this.deleteBySeq(ids.slice(i, i + 2000));
    this.db.prepare("DELETE FROM fetches WHERE source = ? OR (source = '' AND url = ?)").run(name, name);
    return n;
  }







  async documentsAfter(seq: number, limit: number): Promise<StoredDocument[]> {
    return (this.read(`SELECT ${DOC_COLUMNS} FROM documents WHERE id > ? ORDER BY id LIMIT ?`).all(seq, limit) as DocRow[]).map(toStored);
  }

  async exportRows(t: PortableTable): Promise<PortableRow[]> {
    return this.db.prepare(`SELECT ${t.columns.map((c) => c.name).join(', ')} FROM ${t.name} ORDER BY ${t.key.join(', ')}`).all() as PortableRow[];
  }

  async importRows(t: PortableTable, rows: PortableRow[]): Promise<number> {
    const names = t.columns.map((c) => c.name);
    const ins = this.db.prepare(`INSERT OR IGNORE INTO ${t.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
    return this.db.transaction(() => {
      let n = 0;
      for (const r of rows) n += ins.run(...names.map((c) => r[c] ?? null)).changes;
      return n;
    })();
  }

  /** BM25's N and avgdl over the live documents, from the in-memory columns (no table scan). */
  async indexStats(): Promise<{ documents: number; avgTokens: number }> {
    this.columns.refresh();
    const { live, avgTokens } = this.columns.liveStats();
    return { documents: live, avgTokens };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // Its connection closes first; this one, the last, then checkpoints what is left.
    await this.checkpointer?.close();
    this.checkpointer = null;
    // Save the in-memory columns when many rows were read to build them: the next open
    // starts from the snapshot (columns.ts).
    try {
      if (!this.db.readonly && this.columns.rowsBeyondSnapshot() >= this.snapshotMinRows) this.columns.saveSnapshot();
    } catch (err) {
      // Busy with another writer: the next open reads the rows instead.
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    } finally {
      this.scanWorker?.close();
      await this.ftsReader?.close();
      this.db.close();
    }
  }
}

function migrate(db: Database.Database, onUpgrade: (from: number, to: number) => void): void {
  // Used by migration 16; text, so that SQLite appends the digits (a JS number would come back a REAL).
  db.function('lodestone_exact_key', { deterministic: true }, (normHash) => {
    const key = exactKey(String(normHash));
    return key === null ? null : String(key);
  });
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > MIGRATIONS.length) {
    throw new LodestoneError(
      'invalid_input',
      `This database has schema version ${current}, newer than this Lodestone (${MIGRATIONS.length}). Upgrade Lodestone.`,
    );
  }
  if (current < MIGRATIONS.length && db.readonly) {
    throw new LodestoneError(
      'invalid_input',
      `This database has schema version ${current} and needs an upgrade to ${MIGRATIONS.length}; open it once without read-only mode.`,
    );
  }
  if (current > 0 && current < MIGRATIONS.length) onUpgrade(current, MIGRATIONS.length);
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  const analyzer = db.prepare("SELECT value FROM meta WHERE key = 'analyzer'").pluck().get() as string | undefined;
  if (analyzer === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('analyzer', ?)").run(ANALYZER_NAME);
  } else if (analyzer !== ANALYZER_NAME) {
    throw new LodestoneError(
      'invalid_input',
      `The index was built with analyzer ${analyzer}; this version uses ${ANALYZER_NAME}. Re-ingest into a new --data directory.`,
    );
  }
}

/** Every text leaf of a query, under NOT or not. */
function positiveAndNegativeLeaves(q: QueryNode | null, out: TextNode[] = []): TextNode[] {
  if (q === null) return out;
  if (q.kind === 'text') out.push(q);
  else if (q.kind === 'not') positiveAndNegativeLeaves(q.child, out);
  else if (q.kind === 'and' || q.kind === 'or') for (const c of q.children) positiveAndNegativeLeaves(c, out);
  return out;
}
