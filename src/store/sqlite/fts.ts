/** A text leaf of the query AST -> FTS5 MATCH expression (a phrase, optionally a prefix, optionally title-only). */
import type { TextNode } from '../../search/query/ast.js';

export function ftsPhrase(node: TextNode): string {
  // Terms hold only letters, digits and CJK characters: no quoting hazards.
  const phrase = `"${node.terms.join(' ')}"${node.prefix ? ' *' : ''}`;
  return node.field === 'title' ? `title : ${phrase}` : phrase;
}
