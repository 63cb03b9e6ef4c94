/**
 * Compact in-memory columns over every document: published time, month, type, language,
 * source and cluster, indexed by rowid. Filters, facets, cluster collapse and newest-first
 * ordering run over these typed arrays instead of joining the documents table for every
 * match (a common term can match 30% of the corpus). SQLite stays the source of truth:
 * the columns are rebuilt from it and refreshed incrementally by revision number, also
 * when another process (a CLI ingest) writes to the same database.
 *
 * Facets: every document carries one code for its (type, language, source, month)
 * combination, so a match costs one counter increment instead of four; the counts are
 * split into the four facets once per query (a corpus has thousands of combinations, not
 * millions). Type, language and source filters are likewise decided once per combination.
 *
 * Snapshot: loading a million rows through better-sqlite3 costs ~3 µs a row (4.5 s), so
 * the columns are saved as one blob (`column_snapshot`, with the rev they reflect) when a
 * writable store closes after loading many rows; opening reads the blob and then only the
 * rows and tombstones with a later rev. A snapshot of another format version is ignored.
 *
 * Memory: ~28 bytes per document (28 MB at 1,000,000 documents).
 */
import type Database from 'better-sqlite3';
import { saneTime } from '../../core/time.js';
import { type ColumnChanges, unpackChanges } from './column-log.js';

class Dictionary {
  readonly values: string[] = [''];
  private readonly codes = new Map<string, number>([['', 0]]);
  code(v: string): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      this.codes.set(v, c);
    }
    return c;
  }
  find(v: string): number | undefined {
    return this.codes.get(v);
  }
}

const SNAPSHOT_VERSION = 1;
/** Bytes per document in a snapshot: published 8, facet/source/cluster/ntokens 4 each, lang 2, alive 1, type 1. */
const SNAPSHOT_BYTES = 28;

interface SnapshotMeta {
  v: number;
  maxRowid: number;
  maxCluster: number;
  types: string[];
  langs: string[];
  sources: string[];
  months: number[];
  combos: { type: number[]; lang: number[]; source: number[]; month: number[] };
}

export class DocColumns {
  capacity = 0;
  maxRowid = 0;
  alive: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  published: Float64Array<ArrayBufferLike> = new Float64Array(0); // NaN when unknown
  /** Month codes (the `month` of a combination) to yyyy*100+mm in local time; 0 = unknown. */
  readonly months: number[] = [0];
  /** Code of the document's (type, lang, source, month) combination: an index into `combos`. */
  facet: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  /** Per combination: the type, language, source and month codes. */
  readonly combos = { type: [] as number[], lang: [] as number[], source: [] as number[], month: [] as number[] };
  private readonly comboCodes = new Map<number, Map<number, number>>();
  private readonly monthCodes = new Map<number, number>([[0, 0]]);
  type = new Uint8Array(0);
  lang = new Uint16Array(0);
  source = new Uint32Array(0);
  cluster: Int32Array<ArrayBufferLike> = new Int32Array(0); // 0 = not clustered
  ntokens: Uint32Array<ArrayBufferLike> = new Uint32Array(0); // index tokens in title + body (BM25 document length)
  maxCluster = 0;
  /**
   * Live documents and their token total (BM25's N and avgdl), computed once and then kept
   * up to date as rows arrive and die: recomputing them over every rowid after each commit
   * cost a search 3-5 ms at 1,000,000 documents while another process was ingesting.
   */
  private totals: { live: number; tokens: number } | null = null;
  /**
   * Documents that have died since opening. Only a death lowers the live count of postings
   * already written (new documents get higher rowids, so they land in new chunks), so a
   * count cached with this value stays exact while it is unchanged.
   */
  deaths = 0;
  readonly types = new Dictionary();
  readonly langs = new Dictionary();
  readonly sources = new Dictionary();
  /** Lower-cased source name -> codes (source: filters are case-insensitive). */
  private readonly sourcesFolded = new Map<string, number[]>();
  private rev = -1;
  private dataVersion = -1;

  /** `db`: the SQLite store the columns read; null when their owner feeds them (`set`, `bury`: the PostgreSQL backend). */
  constructor(private readonly db: Database.Database | null) {}

  private get sql(): Database.Database {
    if (this.db === null) throw new Error('these columns have no SQLite store');
    return this.db;
  }

  private grow(rowid: number): void {
    if (rowid < this.capacity) return;
    let cap = Math.max(1024, this.capacity);
    while (cap <= rowid) cap *= 2;
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    // Shared memory for the columns a scan reads, so a scan worker (parallel.ts) reads them
    // in place; the rest stay private.
    const shared = (bytes: number) => new SharedArrayBuffer(bytes);
    this.alive = g(this.alive, (n) => new Uint8Array(shared(n)));
    this.published = g(this.published, (n) => new Float64Array(shared(n * 8)).fill(Number.NaN));
    this.facet = g(this.facet, (n) => new Uint32Array(shared(n * 4)));
    this.type = g(this.type, (n) => new Uint8Array(n));
    this.lang = g(this.lang, (n) => new Uint16Array(n));
    this.source = g(this.source, (n) => new Uint32Array(n));
    this.cluster = g(this.cluster, (n) => new Int32Array(shared(n * 4)));
    this.ntokens = g(this.ntokens, (n) => new Uint32Array(shared(n * 4)));
    this.capacity = cap;
  }

  /** Bring the columns up to date with the database; cheap when nothing changed. */
  refresh(force = false): void {
    if (this.db === null) return;
    const dv = this.sql.pragma('data_version', { simple: true }) as number;
    if (!force && dv === this.dataVersion && this.rev >= 0) return;
    // One read transaction: rows and tombstones as of the same commit, or a rev could be
    // skipped by a writer committing between the two reads.
    this.sql.transaction(() => {
      if (this.rev < 0) this.loadSnapshot();
      this.readChanges();
    })();
    this.dataVersion = dv;
  }

  private changedRows: Database.Statement | null = null;
  private changedTombstones: Database.Statement | null = null;

  private logRows: Database.Statement | null = null;
  private metaRev: Database.Statement | null = null;

  /**
   * Catches up from the column log (column-log.ts) when it holds every rev since ours: one
   * blob a transaction instead of its rows. False when it does not (an older writer, or
   * more than COLUMN_LOG_KEEP transactions behind): the rows are read instead.
   */
  private readLog(): boolean {
    if (this.rev < 0) return false;
    this.metaRev ??= this.sql.prepare("SELECT value FROM meta WHERE key = 'rev'").pluck();
    const current = Number(this.metaRev.get() ?? '0');
    if (current <= this.rev) return true;
    this.logRows ??= this.sql.prepare('SELECT rev, data FROM column_log WHERE rev > ? ORDER BY rev').raw(true);
    const entries = this.logRows.all(this.rev) as [number, Buffer][];
    // Every rev from ours to the current one, or nothing from the log.
    if (entries.length !== current - this.rev || entries[0]?.[0] !== this.rev + 1) return false;
    const changes = entries.map(([, data]) => unpackChanges(data));
    if (changes.some((c) => c === null)) return false;
    for (const c of changes as ColumnChanges[]) {
      const types = c.dict.types.map((v) => this.types.code(v));
      const langs = c.dict.langs.map((v) => this.langs.code(v));
      const sources = c.dict.sources.map((v) => this.addSource(v));
      for (let i = 0; i < c.ids.length; i++) {
        const pub = c.published[i]!;
        const cl = c.cluster[i]!;
        this.setCoded(c.ids[i]!, Number.isNaN(pub) ? null : pub, types[c.type[i]!]!, langs[c.lang[i]!]!, sources[c.source[i]!]!, cl === 0 ? null : cl, c.ntokens[i]!);
        this.rowsSinceSnapshot++;
      }
      for (let i = 0; i < c.tombstones.length; i++) this.bury(c.tombstones[i]!);
    }
    this.rev = current;
    return true;
  }

  /** A document died: not live any more. */
  bury(docId: number): void {
    if (docId < this.capacity && this.alive[docId] === 1) {
      this.alive[docId] = 0;
      this.deaths++;
      if (this.totals) {
        this.totals.live--;
        this.totals.tokens -= this.ntokens[docId]!;
      }
    }
  }

  private readChanges(): void {
    if (this.readLog()) return;
    this.changedRows ??= this.sql
      .prepare('SELECT id, published_at, type, lang, source, cluster_id, rev, ntokens FROM documents WHERE rev > ? ORDER BY rev')
      .raw(true);
    this.changedTombstones ??= this.sql.prepare('SELECT doc_id, rev FROM tombstones WHERE rev > ?').raw(true);
    const rows = this.changedRows;
    let maxRev = this.rev;
    for (const r of rows.iterate(this.rev) as Iterable<
      [number, number | null, string, string, string, number | null, number, number]
    >) {
      this.set(r[0], r[1], r[2], r[3], r[4], r[5], r[7]);
      if (r[6] > maxRev) maxRev = r[6];
      this.rowsSinceSnapshot++;
    }
    for (const [docId, rev] of this.changedTombstones.iterate(this.rev) as Iterable<[number, number]>) {
      this.bury(docId);
      if (rev > maxRev) maxRev = rev;
    }
    this.rev = Math.max(maxRev, 0);
  }

  /** Rows read from the table since the snapshot (or since opening, without one). */
  private rowsSinceSnapshot = 0;

  /** Rows the next open would read from the table that a snapshot taken now would spare it. */
  rowsBeyondSnapshot(): number {
    const since =
      this.rev >= 0
        ? this.rev
        : ((this.sql.prepare('SELECT rev FROM column_snapshot WHERE id = 1').pluck().get() as number | undefined) ?? -1);
    const unread = this.sql.prepare('SELECT count(*) FROM documents WHERE rev > ?').pluck().get(since) as number;
    return this.rowsSinceSnapshot + unread;
  }

  /** Restore the columns from the saved snapshot, if there is one of this format. */
  private loadSnapshot(): void {
    const row = this.sql.prepare('SELECT rev, meta, data FROM column_snapshot WHERE id = 1').get() as
      | { rev: number; meta: string; data: Buffer }
      | undefined;
    if (!row) return;
    const meta = JSON.parse(row.meta) as SnapshotMeta;
    const n = meta.maxRowid + 1;
    if (meta.v !== SNAPSHOT_VERSION || row.data.length !== n * SNAPSHOT_BYTES) return;
    this.grow(meta.maxRowid);
    // Copy into an aligned buffer, then each column from its section.
    const buf = new Uint8Array(row.data).buffer;
    let off = 0;
    const take = <T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(
      dst: T,
      make: (b: ArrayBuffer, o: number, len: number) => T,
      size: number,
    ) => {
      dst.set(make(buf, off, n));
      off += n * size;
    };
    take(this.published, (b, o, len) => new Float64Array(b, o, len), 8);
    take(this.facet, (b, o, len) => new Uint32Array(b, o, len), 4);
    take(this.source, (b, o, len) => new Uint32Array(b, o, len), 4);
    take(this.cluster, (b, o, len) => new Int32Array(b, o, len), 4);
    take(this.ntokens, (b, o, len) => new Uint32Array(b, o, len), 4);
    take(this.lang, (b, o, len) => new Uint16Array(b, o, len), 2);
    take(this.alive, (b, o, len) => new Uint8Array(b, o, len), 1);
    take(this.type, (b, o, len) => new Uint8Array(b, o, len), 1);
    for (const v of meta.types.slice(1)) this.types.code(v);
    for (const v of meta.langs.slice(1)) this.langs.code(v);
    for (const v of meta.sources.slice(1)) this.addSource(v);
    for (const mo of meta.months.slice(1)) this.monthCodeOf(mo);
    for (let c = 0; c < meta.combos.type.length; c++) {
      this.combo(meta.combos.type[c]!, meta.combos.lang[c]!, meta.combos.source[c]!, meta.combos.month[c]!);
    }
    this.maxRowid = meta.maxRowid;
    this.maxCluster = meta.maxCluster;
    this.rev = row.rev;
    this.totals = null;
  }

  /**
   * Save the columns as they are (refreshed in the same transaction) for the next open.
   * Call on a writable connection; cheap enough at close (~28 bytes a document).
   */
  saveSnapshot(): void {
    this.sql.transaction(() => {
      if (this.rev < 0) this.loadSnapshot();
      this.readChanges();
      const n = this.maxRowid + 1;
      const out = new Uint8Array(n * SNAPSHOT_BYTES);
      let off = 0;
      for (const a of [this.published, this.facet, this.source, this.cluster, this.ntokens, this.lang, this.alive, this.type]) {
        const bytes = new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
        out.set(bytes, off);
        off += bytes.length;
      }
      const meta: SnapshotMeta = {
        v: SNAPSHOT_VERSION,
        maxRowid: this.maxRowid,
        maxCluster: this.maxCluster,
        types: this.types.values,
        langs: this.langs.values,
        sources: this.sources.values,
        months: this.months,
        combos: this.combos,
      };
      this.sql
        .prepare(
          'INSERT INTO column_snapshot (id, rev, meta, data) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET rev = excluded.rev, meta = excluded.meta, data = excluded.data',
        )
        .run(this.rev, JSON.stringify(meta), out);
    }).immediate();
    this.rowsSinceSnapshot = 0;
  }

  /** Our own connection wrote: data_version does not change for it, so refresh explicitly. */
  markDirty(): void {
    this.dataVersion = -1;
  }

  set(
    rowid: number,
    published: number | null,
    type: string,
    lang: string,
    source: string,
    cluster: number | null,
    ntokens = 0,
  ): void {
    this.setCoded(rowid, published, this.types.code(type), this.langs.code(lang), this.addSource(source), cluster, ntokens);
  }

  /** `set` with type, language and source already coded. */
  private setCoded(rowid: number, published: number | null, type: number, lang: number, sc: number, cluster: number | null, ntokens: number): void {
    this.grow(rowid);
    if (rowid > this.maxRowid) this.maxRowid = rowid;
    if (this.totals) {
      if (this.alive[rowid] === 1) this.totals.tokens -= this.ntokens[rowid]!;
      else this.totals.live++;
      this.totals.tokens += ntokens;
    }
    this.alive[rowid] = 1;
    // A stored date outside the sane range (an older version accepted 1e20) reads as undated.
    published = saneTime(published);
    this.published[rowid] = published ?? Number.NaN;
    let mo = 0;
    if (published !== null) {
      const d = new Date(published);
      mo = d.getFullYear() * 100 + d.getMonth() + 1;
    }
    const mc = this.monthCodeOf(mo);
    this.type[rowid] = type;
    this.lang[rowid] = lang;
    this.source[rowid] = sc;
    this.facet[rowid] = this.combo(this.type[rowid]!, this.lang[rowid]!, sc, mc);
    this.cluster[rowid] = cluster ?? 0;
    if (cluster !== null && cluster > this.maxCluster) this.maxCluster = cluster;
    this.ntokens[rowid] = ntokens;
  }

  private monthCodeOf(mo: number): number {
    let mc = this.monthCodes.get(mo);
    if (mc === undefined) {
      mc = this.months.length;
      this.months.push(mo);
      this.monthCodes.set(mo, mc);
    }
    return mc;
  }

  /** A source's code, registering a new name (and its case-folded lookup). */
  private addSource(source: string): number {
    const before = this.sources.values.length;
    const sc = this.sources.code(source);
    if (this.sources.values.length !== before) {
      const k = source.toLowerCase();
      const list = this.sourcesFolded.get(k) ?? [];
      list.push(sc);
      this.sourcesFolded.set(k, list);
    }
    return sc;
  }

  private combo(type: number, lang: number, source: number, month: number): number {
    let bySource = this.comboCodes.get(source);
    if (bySource === undefined) {
      bySource = new Map();
      this.comboCodes.set(source, bySource);
    }
    const key = (type * 0x10000 + lang) * 0x10000 + month;
    let c = bySource.get(key);
    if (c === undefined) {
      c = this.combos.type.length;
      this.combos.type.push(type);
      this.combos.lang.push(lang);
      this.combos.source.push(source);
      this.combos.month.push(month);
      bySource.set(key, c);
    }
    return c;
  }

  /** Live documents and their mean token count (BM25's N and avgdl), cached until a change. */
  liveStats(): { live: number; avgTokens: number } {
    if (this.totals === null) {
      let live = 0;
      let tokens = 0;
      for (let id = 1; id <= this.maxRowid; id++) {
        if (this.alive[id] === 1) {
          live++;
          tokens += this.ntokens[id]!;
        }
      }
      this.totals = { live, tokens };
    }
    const { live, tokens } = this.totals;
    return { live, avgTokens: live === 0 ? 0 : tokens / live };
  }

  /**
   * Smallest and largest rowid of live documents published in [from, to), or null when
   * none is. Scans inward from both ends and stops at the first match on each side (a
   * range holding no document scans every rowid, ~2–3 ms per million).
   */
  rowidRange(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): { lo: number; hi: number } | null {
    const pub = this.published;
    const alive = this.alive;
    const max = this.maxRowid;
    let lo = 1;
    while (lo <= max && !(pub[lo]! >= from && pub[lo]! < to && alive[lo] === 1)) lo++;
    if (lo > max) return null;
    let hi = max;
    while (hi > lo && !(pub[hi]! >= from && pub[hi]! < to && alive[hi] === 1)) hi--;
    return { lo, hi };
  }

  /** Source codes matching a user-given name (case-insensitive, exact). */
  sourceCodes(name: string): number[] {
    return this.sourcesFolded.get(name.trim().toLowerCase()) ?? [];
  }
}
