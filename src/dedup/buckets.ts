/**
 * LSH buckets in memory: band key -> the documents that have it, newest first.
 *
 * Why not a table: eleven keys a document land at random places in a B-tree, so every
 * ingest batch dirtied pages all over the index and wrote them again at commit (ingest,
 * CLI: flash corpus 18.2 -> 13.2 s; 100,000 3 KB documents 89.4 -> 85.8 s). SQLite keeps
 * each document's keys in one row (`lsh_keys`, appended
 * in rowid order); this structure is derived from them, loaded by the first write of a
 * process and never the source of truth.
 *
 * Layout: a sorted base (keys and documents in two Uint32Arrays, 8 bytes an entry: 88 MB at
 * 1,000,000 documents of 11 keys) and an unsorted tail (an open-addressing table from key to
 * its newest entry, entries chained to older ones; it starts at 1,024 entries and doubles up
 * to TAIL_MAX) merged into the base when full. Keys are
 * folded to 32 bits (band and 32-bit hash mixed): two keys that fold alike only add a
 * candidate, which the caller verifies with the full signatures anyway.
 *
 * Documents must be added in increasing id order (rowids are; catch-up reads in id order),
 * so the base holds each key's documents in increasing order and the tail newest first.
 */

/** Tail entries before a merge into the base (20 MB with its table), a merge every ~95,000 documents. */
const TAIL_MAX = 1 << 20;

/** A band key (band number in the high part, 32-bit hash in the low) folded to 32 bits. */
export function foldKey(key: number): number {
  const band = Math.floor(key / 2 ** 32);
  return (Math.imul(band + 1, 0x9e3779b1) ^ (key >>> 0)) >>> 0;
}

export class LshBuckets {
  private keys: Uint32Array = new Uint32Array(0);
  private docs: Uint32Array = new Uint32Array(0);
  // The tail's arrays start small and double up to tailMax (a small store stays small).
  private tKeys = new Uint32Array(0);
  private tDocs = new Uint32Array(0);
  private tNext = new Int32Array(0);
  /** Index + 1 of each key's newest tail entry; 0 is empty. */
  private slots = new Int32Array(0);
  private tLen = 0;
  private lastDoc = -1;

  constructor(
    private readonly tailMax = TAIL_MAX,
    initialTail = 1024,
  ) {
    this.resize(Math.min(tailMax, initialTail));
  }

  /**
   * Buckets of every document in `rows` (lsh_keys rows in increasing id order: the id, and
   * its keys as decimal numbers joined by spaces), with one sort instead of a tail merge
   * every ~95,000 documents. `entries`: how many keys the rows hold at most (sizes the
   * arrays; more are grown into).
   */
  static load(rows: Iterable<[number, string]>, entries = 0): LshBuckets {
    let keys = new Uint32Array(Math.max(1024, entries));
    let docs = new Uint32Array(keys.length);
    let n = 0;
    let last = -1;
    for (const [doc, text] of rows) {
      if (doc <= last) throw new Error(`LSH buckets take documents in increasing order (${doc} after ${last})`);
      last = doc;
      // Parsed in place (no substrings): at 1,000,000 documents split/map took 0.9 s.
      let v = 0;
      let digits = false;
      for (let i = 0; i <= text.length; i++) {
        const c = i < text.length ? text.charCodeAt(i) : 32;
        if (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          digits = true;
        } else if (digits) {
          if (n === keys.length) {
            keys = doubled(keys);
            docs = doubled(docs);
          }
          keys[n] = foldKey(v);
          docs[n++] = doc;
          v = 0;
          digits = false;
        }
      }
    }
    const b = new LshBuckets();
    // Stable: each key's documents stay in increasing order, as the base keeps them.
    [b.keys, b.docs] = sortByKey(keys.subarray(0, n), docs.subarray(0, n));
    b.lastDoc = last;
    return b;
  }

  /** The highest document id added (-1 when none). */
  get newest(): number {
    return this.lastDoc;
  }

  /** Entries held (one per document and key). */
  get size(): number {
    return this.keys.length + this.tLen;
  }

  /** Add a document's keys; `doc` must exceed every document added before. */
  add(doc: number, keys: readonly number[]): void {
    if (doc <= this.lastDoc) throw new Error(`LSH buckets take documents in increasing order (${doc} after ${this.lastDoc})`);
    this.lastDoc = doc;
    for (const key of keys) {
      if (this.tLen === this.tKeys.length) {
        if (this.tLen < this.tailMax) this.resize(Math.min(this.tailMax, this.tLen * 2));
        else this.merge();
      }
      const k = foldKey(key);
      const s = this.slot(k);
      const i = this.tLen++;
      this.tKeys[i] = k;
      this.tDocs[i] = doc;
      this.tNext[i] = this.slots[s]! - 1;
      this.slots[s] = i + 1;
    }
  }

  /** Up to `limit` documents holding `key`, newest (highest id) first. */
  lookup(key: number, limit: number): number[] {
    const k = foldKey(key);
    const out: number[] = [];
    for (let i = this.slots[this.slot(k)]! - 1; i >= 0 && out.length < limit; i = this.tNext[i]!) out.push(this.tDocs[i]!);
    // Base: past the last entry with key k, then backwards.
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= k) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo - 1; j >= 0 && this.keys[j] === k && out.length < limit; j--) out.push(this.docs[j]!);
    return out;
  }

  /**
   * Tail arrays for `capacity` entries, the entries so far copied over and their chains
   * rebuilt (adding them again in order gives the same newest-first chains).
   */
  private resize(capacity: number): void {
    const n = this.tLen;
    const keys = this.tKeys.subarray(0, n);
    const docs = this.tDocs.subarray(0, n);
    this.tKeys = new Uint32Array(capacity);
    this.tDocs = new Uint32Array(capacity);
    this.tNext = new Int32Array(capacity);
    // A power of two at least twice the tail, so probing (masked) visits every slot and finds an empty one.
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(capacity * 2)));
    this.tKeys.set(keys);
    this.tDocs.set(docs);
    for (let i = 0; i < n; i++) {
      const s = this.slot(keys[i]!);
      this.tNext[i] = this.slots[s]! - 1;
      this.slots[s] = i + 1;
    }
  }

  /** The tail slot of folded key k: its own, or the empty one where it would go. */
  private slot(k: number): number {
    const mask = this.slots.length - 1;
    let s = (Math.imul(k, 0x85ebca6b) >>> 0) & mask;
    for (;;) {
      const e = this.slots[s]!;
      if (e === 0 || this.tKeys[e - 1] === k) return s;
      s = (s + 1) & mask;
    }
  }

  /** Sort the tail by key (stable: documents stay in increasing order) and merge it into the base. */
  private merge(): void {
    const n = this.tLen;
    const [tk, td] = sortByKey(this.tKeys.subarray(0, n), this.tDocs.subarray(0, n));
    const bk = this.keys;
    const bd = this.docs;
    const keys = new Uint32Array(bk.length + n);
    const docs = new Uint32Array(bk.length + n);
    let i = 0;
    let j = 0;
    let o = 0;
    // Equal keys: base first, its documents are older than the tail's.
    while (i < bk.length && j < n) {
      if (bk[i]! <= tk[j]!) {
        keys[o] = bk[i]!;
        docs[o++] = bd[i++]!;
      } else {
        keys[o] = tk[j]!;
        docs[o++] = td[j++]!;
      }
    }
    for (; i < bk.length; i++, o++) {
      keys[o] = bk[i]!;
      docs[o] = bd[i]!;
    }
    for (; j < n; j++, o++) {
      keys[o] = tk[j]!;
      docs[o] = td[j]!;
    }
    this.keys = keys;
    this.docs = docs;
    this.slots.fill(0);
    this.tLen = 0;
  }
}

/** A copy of `a` in an array twice its length. */
function doubled(a: Uint32Array): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Stable LSD radix sort of (key, doc) pairs by key, two 16-bit passes. */
function sortByKey(keys: Uint32Array, docs: Uint32Array): [Uint32Array, Uint32Array] {
  const n = keys.length;
  let k0 = keys.slice();
  let d0 = docs.slice();
  let k1 = new Uint32Array(n);
  let d1 = new Uint32Array(n);
  const count = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((k0[i]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 1; b <= 65536; b++) count[b]! += count[b - 1]!;
    for (let i = 0; i < n; i++) {
      const p = count[(k0[i]! >>> shift) & 0xffff]!++;
      k1[p] = k0[i]!;
      d1[p] = d0[i]!;
    }
    [k0, k1] = [k1, k0];
    [d0, d1] = [d1, d0];
  }
  return [k0, d0];
}
