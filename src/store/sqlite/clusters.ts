/**
 * Duplicate clusters on SQLite: the candidates the decision (dedup/assign.ts) reads — the
 * LSH buckets in memory (dedup/buckets.ts, from the `lsh_keys` rows) and the fingerprints of
 * the documents this connection wrote last (dedup/recent.ts) — and the bookkeeping that
 * follows a decision (cluster rows, members' cluster ids, canonical member and size).
 * Every method runs inside the store's write transaction; `begin` before the first one,
 * `committed` or `rolledBack` after.
 */
import type Database from 'better-sqlite3';
import type { AnalyzedDocument } from '../../analysis/analyzer.js';
import { type ClusterCandidates, decideCluster, keysOf } from '../../dedup/assign.js';
import { LshBuckets } from '../../dedup/buckets.js';
import { BANDS, exactKey, signatureFromBuffer } from '../../dedup/minhash.js';
import { type Fingerprint, RecentFingerprints } from '../../dedup/recent.js';

export class SqliteClusters {
  private lsh: LshBuckets | null = null;
  /** Highest document id whose keys are in `lsh`. */
  private lshSeen = 0;
  /** Fingerprints of the documents this store wrote last (dedup/recent.ts). */
  private recent: RecentFingerprints | null = null;
  /** The rev of this store's last committed write: another rev before the next one clears `recent`. */
  private ownRev = -1;
  private readonly st;

  constructor(db: Database.Database) {
    this.st = {
      lshInsert: db.prepare('INSERT INTO lsh_keys (doc_id, keys) VALUES (?, ?)'),
      lshDelete: db.prepare('DELETE FROM lsh_keys WHERE doc_id = ?'),
      lshSpan: db.prepare<[], { lo: number | null; hi: number | null }>('SELECT min(doc_id) AS lo, max(doc_id) AS hi FROM lsh_keys'),
      lshSince: db.prepare<[number], [number, string]>('SELECT doc_id, keys FROM lsh_keys WHERE doc_id > ? ORDER BY doc_id').raw(),
      exactRow: db.prepare<[number], { norm_hash: string; cluster_id: number | null; published_at: number | null }>(
        'SELECT norm_hash, cluster_id, published_at FROM documents WHERE id = ?',
      ),
      candidate: db.prepare<
        [number],
        { published_at: number | null; minhash: Buffer; shingles: number; figures: string; cluster_id: number | null }
      >('SELECT published_at, minhash, shingles, figures, cluster_id FROM documents WHERE id = ?'),
      setCluster: db.prepare('UPDATE documents SET cluster_id = ?, rev = ? WHERE id = ?'),
      newCluster: db.prepare('INSERT INTO clusters (canonical_id, size) VALUES (?, 0)'),
      dropCluster: db.prepare('DELETE FROM clusters WHERE id = ?'),
      clusterRows: db.prepare<[number], { id: number; source: string; title: string; published_at: number | null }>(
        'SELECT id, source, title, published_at FROM documents WHERE cluster_id = ? ORDER BY published_at IS NULL, published_at, id',
      ),
      docSourceTitle: db.prepare<[number], { source: string; title: string }>('SELECT source, title FROM documents WHERE id = ?'),
      clusterMembers: db.prepare<[number], { id: number }>('SELECT id FROM documents WHERE cluster_id = ? ORDER BY published_at IS NULL, published_at, id'),
      updateCluster: db.prepare('UPDATE clusters SET canonical_id = ?, size = ? WHERE id = ?'),
    };
  }

  /**
   * Start a write transaction's work with its rev: the recent fingerprints are emptied when
   * another connection wrote since this one's last write (it may have deleted documents or
   * changed their clusters); with `buckets`, the LSH buckets are loaded (a process's first
   * write) or caught up with the rows other connections committed since — under the write
   * lock every committed row has a higher id than those seen.
   */
  begin(rev: number, buckets = true): void {
    if (this.recent === null) this.recent = new RecentFingerprints();
    else if (rev !== this.ownRev + 1) this.recent.clear();
    if (!buckets) return;
    if (this.lsh === null) {
      // One sort over every row instead of a tail merge every ~95,000 documents (a one-document
      // ingest into a 1,100,000-document store: 1.7-1.8 s for the whole command, 3.5-5.3 s before).
      const span = this.st.lshSpan.get()!;
      // Ten bands, the lead key and the exact key a document at most.
      const entries = span.hi === null || span.lo === null ? 0 : (span.hi - span.lo + 1) * (BANDS + 2);
      this.lsh = LshBuckets.load(this.st.lshSince.iterate(0), entries);
      this.lshSeen = this.lsh.newest;
    }
    for (const [id, keys] of this.st.lshSince.iterate(this.lshSeen)) {
      this.lsh.add(id, keys.split(' ').map(Number));
      this.lshSeen = id;
    }
  }

  committed(rev: number): void {
    this.ownRev = rev;
  }

  /**
   * A write transaction rolled back: the buckets and the recent fingerprints may hold ids
   * that were never committed (and will be reused), or cluster changes undone. Load the
   * buckets again on the next write; start the fingerprints afresh.
   */
  rolledBack(): void {
    this.lsh = null;
    this.recent?.clear();
  }

  /**
   * A document just written: find its copies and join or create a cluster (the decision is
   * dedup/assign.ts's), then record its keys and fingerprint for the documents after it.
   * Returns its cluster.
   */
  add(seq: number, ad: AnalyzedDocument, rev: number): number | null {
    const lsh = this.lsh!;
    const recent = this.recent!;
    const { doc, analysis: a } = ad;
    const exact = exactKey(a.normHash);
    const port: ClusterCandidates = {
      // Newest first; deleted documents' entries (kept in memory until the next load) find no row.
      withKey: (key, limit) => lsh.lookup(key, limit),
      fingerprint: (id) => recent.get(id) ?? this.candidateRow(id),
      exactRow: (id) => {
        const r = this.st.exactRow.get(id);
        return r ? { normHash: r.norm_hash, clusterId: r.cluster_id, publishedAt: r.published_at } : null;
      },
      headline: (id) => this.st.docSourceTitle.get(id) ?? null,
      members: (c) => this.st.clusterRows.all(c).map((r) => ({ seq: r.id, source: r.source, title: r.title, publishedAt: r.published_at })),
    };
    const decision = decideCluster({ seq, source: doc.source, title: doc.title, publishedAt: doc.publishedAt, analysis: a, exact }, port);
    let clusterId: number | null = null;
    if (decision !== null) {
      clusterId = decision.cluster ?? Number(this.st.newCluster.run(seq).lastInsertRowid);
      for (const id of decision.adopt) this.setCluster(id, clusterId, rev);
      this.setCluster(seq, clusterId, rev);
      this.refreshCluster(clusterId);
    }
    const keys = keysOf({ analysis: a, exact });
    if (keys.length > 0) {
      this.st.lshInsert.run(seq, keys.join(' '));
      lsh.add(seq, keys);
      this.lshSeen = seq;
    }
    recent.put(seq, { publishedAt: doc.publishedAt, minhash: a.minhash, shingles: a.shingles, figures: a.figures, clusterId });
    return clusterId;
  }

  /**
   * A document about to be deleted (or replaced by a new version): out of its cluster (a
   * cluster left with one member dissolves), its keys and fingerprint forgotten. Its entries
   * in the in-memory buckets stay until the next load; a lookup that finds them finds no
   * candidate row and skips them.
   */
  remove(seq: number, clusterId: number | null, rev: number): void {
    if (clusterId !== null) this.detach(seq, clusterId, rev);
    this.st.lshDelete.run(seq);
    this.recent?.drop(seq);
  }

  private setCluster(id: number, clusterId: number | null, rev: number): void {
    this.st.setCluster.run(clusterId, rev, id);
    this.recent?.setCluster(id, clusterId);
  }

  /** A candidate older than the recent fingerprints, from its row. */
  private candidateRow(id: number): Fingerprint | null {
    const c = this.st.candidate.get(id);
    if (!c) return null;
    return {
      publishedAt: c.published_at,
      minhash: signatureFromBuffer(c.minhash),
      shingles: c.shingles,
      figures: JSON.parse(c.figures) as string[],
      clusterId: c.cluster_id,
    };
  }

  private refreshCluster(clusterId: number): void {
    const members = this.st.clusterMembers.all(clusterId);
    this.st.updateCluster.run(members[0]?.id ?? 0, members.length, clusterId);
  }

  /** Take a document out of its cluster; a cluster left with one member dissolves. */
  private detach(seq: number, clusterId: number, rev: number): void {
    this.setCluster(seq, null, rev);
    const rest = this.st.clusterMembers.all(clusterId);
    if (rest.length <= 1) {
      for (const m of rest) this.setCluster(m.id, null, rev);
      this.st.dropCluster.run(clusterId);
    } else {
      this.refreshCluster(clusterId);
    }
  }
}
