/** The query AST shared by the parser, the planners and every search backend. */

export type TextField = 'title' | null;
export type FilterField = 'source' | 'type' | 'lang' | 'ticker' | 'tag' | 'level';

/** A sequence of index terms a document must contain contiguously. */
export interface TextNode {
  kind: 'text';
  /** What the user typed for this leaf (for highlighting, explain and messages). */
  raw: string;
  terms: string[];
  prefix: boolean;
  field: TextField;
  /** The user wrote it in quotes. */
  quoted: boolean;
}

export interface FilterNode {
  kind: 'filter';
  field: FilterField;
  value: string;
}

export interface AndNode {
  kind: 'and';
  children: QueryNode[];
}

export interface OrNode {
  kind: 'or';
  children: QueryNode[];
  /**
   * Set when the OR is one concept in several languages (search/translate): children[0] is
   * what the user wrote, the others its translations. A document's score is the best of its
   * variants' scores, each variant's scores scaled so that its best document scores
   * `weights[i]` times the literal's best (per-variant normalisation): a translation never
   * outranks the literal match by accident, and documents in the other language rank as
   * they would for a query written in it. `langs[i]` restricts a translation to documents
   * in that language ('en': any document not detected as Chinese; null: any document), so a
   * Chinese query's English variants reach English documents, not a Chinese flash quoting
   * an English name.
   */
  concept?: { source: string; weights: number[]; langs: ('en' | 'zh' | null)[] };
}

export interface NotNode {
  kind: 'not';
  child: QueryNode;
}

export type QueryNode = TextNode | FilterNode | AndNode | OrNode | NotNode;

/** Text leaves that count positively (not under a NOT): used for highlighting and explain. */
export function positiveTextLeaves(node: QueryNode | null, negated = false, out: TextNode[] = []): TextNode[] {
  if (node === null) return out;
  switch (node.kind) {
    case 'text':
      if (!negated) out.push(node);
      break;
    case 'filter':
      break;
    case 'not':
      positiveTextLeaves(node.child, !negated, out);
      break;
    default:
      for (const c of node.children) positiveTextLeaves(c, negated, out);
  }
  return out;
}

/** Human-readable form of an AST (used by explain and tests). */
export function printQuery(node: QueryNode | null): string {
  if (node === null) return '*';
  switch (node.kind) {
    case 'text': {
      const t = `"${node.terms.join(' ')}"${node.prefix ? '*' : ''}`;
      return node.field ? `${node.field}:${t}` : t;
    }
    case 'filter':
      return `${node.field}:${node.value}`;
    case 'not':
      return `NOT ${printQuery(node.child)}`;
    case 'and':
      return `(${node.children.map(printQuery).join(' AND ')})`;
    case 'or':
      return `(${node.children.map(printQuery).join(' OR ')})`;
  }
}
