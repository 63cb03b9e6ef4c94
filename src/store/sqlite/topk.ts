/**
 * Bounded selection of the best k items by (primary desc, secondary desc, then lower id
 * first, so the result does not depend on the order items arrive in): a binary
 * min-heap of size k, O(n log k). Used for top-N without sorting every match.
 */
export class TopK {
  private ids: Int32Array;
  private a: Float64Array;
  private b: Float64Array;
  private n = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(Math.max(1, k));
    this.a = new Float64Array(Math.max(1, k));
    this.b = new Float64Array(Math.max(1, k));
  }

  /** true when (a1, b1, id1) ranks below (a2, b2, id2): on equal keys the lower id ranks higher. */
  private less(a1: number, b1: number, id1: number, a2: number, b2: number, id2: number): boolean {
    return a1 < a2 || (a1 === a2 && (b1 < b2 || (b1 === b2 && id1 > id2)));
  }

  /**
   * Whether push would keep (primary, secondary): false once k items are held and it ranks
   * at or below the weakest. Cheap enough to call for every match before computing more.
   */
  accepts(primary: number, secondary: number, id: number): boolean {
    if (this.n < this.k) return true;
    return this.k > 0 && this.less(this.a[0]!, this.b[0]!, this.ids[0]!, primary, secondary, id);
  }

  /**
   * The primary key an item needs to be considered at all (ties still need `accepts`):
   * -Infinity until k items are held, then the weakest held; +Infinity when k is 0. Only
   * rises, so a caller may keep a stale copy between its own pushes.
   */
  floor(): number {
    if (this.k === 0) return Number.POSITIVE_INFINITY;
    return this.n < this.k ? Number.NEGATIVE_INFINITY : this.a[0]!;
  }

  push(id: number, primary: number, secondary: number): void {
    if (this.k === 0) return;
    if (this.n < this.k) {
      let i = this.n++;
      this.ids[i] = id;
      this.a[i] = primary;
      this.b[i] = secondary;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(this.a[i]!, this.b[i]!, this.ids[i]!, this.a[p]!, this.b[p]!, this.ids[p]!)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    if (!this.less(this.a[0]!, this.b[0]!, this.ids[0]!, primary, secondary, id)) return;
    this.ids[0] = id;
    this.a[0] = primary;
    this.b[0] = secondary;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.n && this.less(this.a[l]!, this.b[l]!, this.ids[l]!, this.a[m]!, this.b[m]!, this.ids[m]!)) m = l;
      if (r < this.n && this.less(this.a[r]!, this.b[r]!, this.ids[r]!, this.a[m]!, this.b[m]!, this.ids[m]!)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const id = this.ids[i]!;
    const a = this.a[i]!;
    const b = this.b[i]!;
    this.ids[i] = this.ids[j]!;
    this.a[i] = this.a[j]!;
    this.b[i] = this.b[j]!;
    this.ids[j] = id;
    this.a[j] = a;
    this.b[j] = b;
  }

  /** Items best first. */
  sorted(): { id: number; primary: number; secondary: number }[] {
    const out: { id: number; primary: number; secondary: number }[] = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.ids[i]!, primary: this.a[i]!, secondary: this.b[i]! });
    out.sort((x, y) => y.primary - x.primary || y.secondary - x.secondary || x.id - y.id);
    return out;
  }
}
