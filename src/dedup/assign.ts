/**
 * The duplicate-cluster decision for a freshly written document, the same for every
 * backend: which stored documents it copies (exact copies by the normalized-text key, near
 * copies by LSH band keys, verified by MinHash, containment, dates and figures), which
 * cluster it joins (policy.ts: one cluster, matched at its canonical member, no two
 * headlines of one publisher, never a merge of two clusters) and which unclustered copies
 * join with it.
 *
 * It reads through `ClusterCandidates`, a narrow port each backend answers its own way:
 * SQLite from its in-memory LSH buckets and rows, PostgreSQL from an index over the keys
 * read ahead for a whole batch. The port is synchronous so the decision runs inside a
 * SQLite write transaction; a backend that must await reads them first (`keysOf` says
 * which keys, `CANDIDATE_BOUNDS` how many documents per key).
 */
import type { Analysis } from '../analysis/analyzer.js';
import { containment, similarity } from './minhash.js';
import { clusterConflict, fingerprintsNear, isNearDuplicate, LONG_EXACT_SHINGLES, sameHeadline, withinWindow } from './policy.js';
import type { Fingerprint } from './recent.js';

/**
 * Bounds for template-heavy corpora, where one band key can be shared by thousands of
 * documents: at most perKey (newest) documents are read per key, and of those the
 * `candidates` sharing the most keys with the new document are verified; at most `exact`
 * exact copies are verified, newest first.
 */
export const CANDIDATE_BOUNDS = { perKey: 64, candidates: 32, exact: 50 } as const;

export interface ClusterMember {
  seq: number;
  source: string;
  title: string;
  publishedAt: number | null;
}

/** What the decision reads from a store. Every method answers from committed and this batch's rows. */
export interface ClusterCandidates {
  /** Documents whose dedup keys include `key`, newest (highest seq) first, at most `limit`. */
  withKey(key: number, limit: number): number[];
  /** A stored document's fingerprint with its current cluster; null when it is gone. */
  fingerprint(seq: number): Fingerprint | null;
  /** What an exact copy is checked by: the normalized-text hash, cluster and date; null when it is gone. */
  exactRow(seq: number): { normHash: string; clusterId: number | null; publishedAt: number | null } | null;
  /** Source and title of a stored document; null when it is gone. */
  headline(seq: number): { source: string; title: string } | null;
  /** A cluster's members, canonical (earliest published, then lowest seq) first; empty when it is gone. */
  members(clusterId: number): ClusterMember[];
}

export interface NewDocument {
  seq: number;
  source: string;
  title: string;
  publishedAt: number | null;
  analysis: Pick<Analysis, 'minhash' | 'shingles' | 'figures' | 'bandKeys' | 'normHash'>;
  /** The exact-copy key (minhash.ts exactKey), null for text too short to have one. */
  exact: number | null;
}

export interface ClusterDecision {
  /** The existing cluster the document joins, or null: a new cluster with `adopt`. */
  cluster: number | null;
  /** Documents in no cluster yet that join with it. */
  adopt: number[];
}

/** Every key a document is looked up under (what a backend reading ahead must fetch). */
export function keysOf(doc: Pick<NewDocument, 'analysis' | 'exact'>): number[] {
  return doc.exact === null ? doc.analysis.bandKeys : [...doc.analysis.bandKeys, doc.exact];
}

/** The decision for `doc`; null when it copies nothing (it stays alone). */
export function decideCluster(doc: NewDocument, port: ClusterCandidates): ClusterDecision | null {
  const a = doc.analysis;
  const pub = doc.publishedAt;
  const longExact = a.shingles >= LONG_EXACT_SHINGLES;
  const matches = new Map<number, { cluster: number | null; sim: number }>(); // seq -> its cluster, similarity
  if (doc.exact !== null) {
    for (const id of port.withKey(doc.exact, CANDIDATE_BOUNDS.exact)) {
      const r = id === doc.seq ? null : port.exactRow(id);
      if (r && r.normHash === a.normHash && (longExact || withinWindow(pub, r.publishedAt))) matches.set(id, { cluster: r.clusterId, sim: 2 });
    }
  }
  const mine = { publishedAt: pub, figures: new Set(a.figures) };
  /** Is the stored document `id` a near-duplicate of this one? Its similarity, or null. */
  const near = (c: Fingerprint | null): number | null => {
    if (c === null) return null;
    const sim = similarity(a.minhash, c.minhash);
    const other = { publishedAt: c.publishedAt, similarity: sim, containment: containment(sim, a.shingles, c.shingles), figures: new Set(c.figures) };
    return isNearDuplicate(mine, other) ? sim : null;
  };
  if (a.bandKeys.length > 0) {
    const shared = new Map<number, number>(); // candidate -> number of keys shared
    for (const k of a.bandKeys) {
      // Newest first: recent documents are the ones inside the duplicate time window.
      for (const id of port.withKey(k, CANDIDATE_BOUNDS.perKey)) {
        if (id !== doc.seq && !matches.has(id)) shared.set(id, (shared.get(id) ?? 0) + 1);
      }
    }
    const candidates = [...shared.entries()]
      .sort((x, y) => y[1] - x[1] || y[0] - x[0])
      .slice(0, CANDIDATE_BOUNDS.candidates)
      .map(([id]) => id);
    for (const id of candidates) {
      const c = port.fingerprint(id);
      const sim = near(c);
      if (c !== null && sim !== null) matches.set(id, { cluster: c.clusterId, sim });
    }
  }
  if (matches.size === 0) return null;
  const me = { source: doc.source, title: doc.title };
  // Clusters in order of the best match each holds; the first that takes this document wins.
  const best = new Map<number, number>();
  for (const m of matches.values()) if (m.cluster !== null) best.set(m.cluster, Math.max(best.get(m.cluster) ?? 0, m.sim));
  let target: number | null = null;
  let members: ClusterMember[] = [];
  for (const [c] of [...best.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])) {
    const rows = port.members(c);
    if (rows.length === 0) continue;
    // A cluster only takes members within the window of its canonical (earliest) member.
    if (!longExact && !withinWindow(pub, rows[0]!.publishedAt)) continue;
    if (clusterConflict(me, rows)) continue;
    const canonical = rows[0]!.seq;
    // The canonical member must match too, unless a member carries this very headline.
    if (!matches.has(canonical) && !sameHeadline(me, rows) && near(port.fingerprint(canonical)) === null) continue;
    target = c;
    members = rows;
    break;
  }
  // Documents in no cluster yet that match this one join it (each under the same rules).
  const adopt: number[] = [];
  const group: { source: string; title: string }[] = [...members, me];
  for (const [id, m] of matches) {
    if (m.cluster !== null) continue;
    const row = port.headline(id);
    if (!row || clusterConflict(row, group)) continue;
    if (target !== null && !matches.has(members[0]!.seq)) {
      // It must also match the cluster's canonical member, as this document did.
      const cf = port.fingerprint(members[0]!.seq);
      const of = port.fingerprint(id);
      if (cf === null || of === null || !fingerprintsNear(of, cf)) continue;
    }
    adopt.push(id);
    group.push(row);
  }
  if (target === null && adopt.length === 0) return null;
  return { cluster: target, adopt };
}
