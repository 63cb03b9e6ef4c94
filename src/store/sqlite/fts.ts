/**
 * AST -> FTS5 MATCH expression. Only text subtrees compile; filters and lone NOTs are
 * evaluated against the in-memory columns instead (see columns.ts).
 */
import type { QueryNode, TextNode } from '../../search/query/ast.js';

export function ftsPhrase(node: TextNode): string {
  // Terms hold only letters, digits and CJK characters: no quoting hazards.
  const phrase = `"${node.terms.join(' ')}"${node.prefix ? ' *' : ''}`;
  return node.field === 'title' ? `title : ${phrase}` : phrase;
}

/** FTS5 expression for a text-only subtree, or null when the subtree needs the evaluator. */
export function compileFts(node: QueryNode): string | null {
  switch (node.kind) {
    case 'text':
      return ftsPhrase(node);
    case 'filter':
    case 'not':
      return null;
    case 'or': {
      const parts: string[] = [];
      for (const c of node.children) {
        const p = compileFts(c);
        if (p === null) return null;
        parts.push(p);
      }
      return `(${parts.join(' OR ')})`;
    }
    case 'and': {
      const pos: string[] = [];
      const neg: string[] = [];
      for (const c of node.children) {
        if (c.kind === 'not') {
          const p = compileFts(c.child);
          if (p === null) return null;
          neg.push(p);
        } else {
          const p = compileFts(c);
          if (p === null) return null;
          pos.push(p);
        }
      }
      if (pos.length === 0) return null;
      return `(${pos.join(' AND ')})${neg.map((n) => ` NOT (${n})`).join('')}`;
    }
  }
}
