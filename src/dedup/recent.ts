/**
 * The dedup fingerprints of the documents a store wrote last, by rowid, so that verifying an
 * LSH candidate (most are recent: a copy arrives within hours) needs no row read. In the
 * flash corpus, 195,653 candidates took 1.0 s of row reads, 7% of the writing thread.
 *
 * One slot per rowid modulo the capacity: rowids are handed out in increasing order, so the
 * newest documents written through this object are held. The arrays start small and double
 * (instead of evicting) up to `maxCapacity` (131,072 documents, ~37 MB: a signature is 256
 * bytes).
 *
 * Never the source of truth. The store keeps cluster ids current through setCluster /
 * moveCluster, drops deleted rowids, and clears everything when another connection wrote
 * since its own last write or a transaction rolled back (rowids are then reused).
 */
import { K } from './minhash.js';

export interface Fingerprint {
  publishedAt: number | null;
  minhash: Uint32Array;
  shingles: number;
  figures: readonly string[];
  clusterId: number | null;
}

const NONE = 0; // cluster ids and rowids start at 1

export class RecentFingerprints {
  private capacity: number;
  private ids = new Float64Array(0);
  private sigs = new Uint32Array(0);
  private published = new Float64Array(0);
  private shingles = new Int32Array(0);
  private clusters = new Float64Array(0);
  private figures: (readonly string[])[] = [];

  constructor(
    private readonly maxCapacity = 1 << 17,
    initialCapacity = 1024,
  ) {
    this.capacity = Math.min(maxCapacity, initialCapacity);
    this.allocate(this.capacity);
  }

  put(id: number, f: Fingerprint): void {
    // Grow rather than evict while below the largest size: at that size, the rowids of the
    // newest `maxCapacity` all have slots of their own.
    while (this.capacity < this.maxCapacity && this.ids[id % this.capacity] !== NONE) this.grow();
    this.write(id % this.capacity, id, f.publishedAt, f.minhash, f.shingles, f.figures, f.clusterId);
  }

  get(id: number): Fingerprint | null {
    const s = id % this.capacity;
    if (this.ids[s] !== id) return null;
    const pub = this.published[s]!;
    const c = this.clusters[s]!;
    return {
      publishedAt: Number.isNaN(pub) ? null : pub,
      minhash: this.sigs.subarray(s * K, s * K + K),
      shingles: this.shingles[s]!,
      figures: this.figures[s]!,
      clusterId: c === NONE ? null : c,
    };
  }

  setCluster(id: number, clusterId: number | null): void {
    const s = id % this.capacity;
    if (this.ids[s] === id) this.clusters[s] = clusterId ?? NONE;
  }

  /** Every held member of cluster `from` now belongs to `to`. */
  moveCluster(from: number, to: number): void {
    for (let s = 0; s < this.capacity; s++) if (this.clusters[s] === from && this.ids[s] !== NONE) this.clusters[s] = to;
  }

  drop(id: number): void {
    const s = id % this.capacity;
    if (this.ids[s] === id) this.ids[s] = NONE;
  }

  clear(): void {
    this.ids.fill(NONE);
  }

  private allocate(capacity: number): void {
    this.ids = new Float64Array(capacity);
    this.sigs = new Uint32Array(capacity * K);
    this.published = new Float64Array(capacity);
    this.shingles = new Int32Array(capacity);
    this.clusters = new Float64Array(capacity);
    this.figures = new Array<readonly string[]>(capacity).fill([]);
  }

  private grow(): void {
    const old = {
      ids: this.ids,
      sigs: this.sigs,
      published: this.published,
      shingles: this.shingles,
      clusters: this.clusters,
      figures: this.figures,
    };
    const n = this.capacity;
    this.capacity = Math.min(this.maxCapacity, n * 2);
    this.allocate(this.capacity);
    for (let s = 0; s < n; s++) {
      const id = old.ids[s]!;
      if (id === NONE) continue;
      const pub = old.published[s]!;
      const c = old.clusters[s]!;
      this.write(
        id % this.capacity,
        id,
        Number.isNaN(pub) ? null : pub,
        old.sigs.subarray(s * K, s * K + K),
        old.shingles[s]!,
        old.figures[s]!,
        c === NONE ? null : c,
      );
    }
  }

  private write(
    s: number,
    id: number,
    publishedAt: number | null,
    sig: Uint32Array,
    shingles: number,
    figures: readonly string[],
    clusterId: number | null,
  ): void {
    this.ids[s] = id;
    this.sigs.set(sig, s * K);
    this.published[s] = publishedAt ?? Number.NaN;
    this.shingles[s] = shingles;
    this.figures[s] = figures;
    this.clusters[s] = clusterId ?? NONE;
  }
}
