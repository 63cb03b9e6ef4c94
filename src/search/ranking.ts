/**
 * The ranking every backend implements: BM25 over the analyzer's terms, title and body as
 * two fields (a title occurrence weighs TITLE_WEIGHT body occurrences), k1 = 1.2, b = 0.75,
 * idf = ln((N - df + 0.5) / (df + 0.5)) floored at 1e-6 (FTS5's bm25(), whose constants
 * these are). A backend whose scores differ says so in `RankingInfo.engine` and
 * docs/benchmarks.md.
 */
export const TITLE_WEIGHT = 3;
export const BODY_WEIGHT = 1;
export const K1 = 1.2;
export const B = 0.75;

/** BM25's idf, floored as FTS5 floors it (a term in over half the documents still counts a little). */
export function idf(documents: number, df: number): number {
  const v = Math.log((documents - df + 0.5) / (df + 0.5));
  return v <= 0 ? 1e-6 : v;
}

/** One term's contribution: `w` its weighted frequency in a document of `tokens` tokens. */
export function bm25(idfValue: number, w: number, tokens: number, avgTokens: number): number {
  return (idfValue * w * (K1 + 1)) / (w + K1 * (1 - B + (B * tokens) / Math.max(1, avgTokens)));
}
