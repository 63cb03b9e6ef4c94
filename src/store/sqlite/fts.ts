/** A text leaf of the query AST -> FTS5 MATCH expression (a phrase, optionally a prefix, optionally title-only). */
import type { TextNode } from '../../search/query/ast.js';

export function ftsPhrase(node: TextNode): string {
  // Terms hold only letters, digits and CJK characters: no quoting hazards.
  const phrase = `"${node.terms.join(' ')}"${node.prefix ? ' *' : ''}`;
  return node.field === 'title' ? `title : ${phrase}` : phrase;
}

/** FTS5 rows of (rowid, bm25) -> rowids and scores (bm25 is lower-is-better: negated). */
export function rowsToScored(rows: [number, number][]): { ids: Int32Array<ArrayBuffer>; scores: Float64Array<ArrayBuffer> } {
  const ids = new Int32Array(rows.length);
  const scores = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    ids[i] = rows[i]![0];
    scores[i] = -rows[i]![1];
  }
  return { ids, scores };
}
