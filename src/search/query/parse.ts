/**
 * Query language:
 *   terms            稀土 出口管制        (implicit AND)
 *   phrases          "稀土 永磁"          (contiguous, punctuation ignored)
 *   boolean          a AND b, a OR b, NOT a, -a, parentheses   (operators in upper case)
 *   fields           title:稀土  title:"出口 管制"  title:(a OR b)
 *                    source:财联社  type:report  lang:zh  ticker:600111.SH  tag:人工智能  level:A
 *
 * An unquoted run of Chinese characters is split into words by the Chinese segmenter
 * (user dictionary included) when every piece it yields is two or more characters;
 * otherwise the run is kept whole, because one-character pieces mostly mean a compound
 * the dictionary does not know (钕铁硼 must not become 钕 AND 铁硼).
 *
 * The parser never throws anything but a LodestoneError('query_syntax') with a position.
 */
import { chineseSegmenter } from '../../analysis/segmenters/chinese.js';
import { queryTerms } from '../../analysis/terms.js';
import { LodestoneError } from '../../core/errors.js';
import type { FilterField, QueryNode, TextField, TextNode } from './ast.js';
import { checkQueryCost } from './limits.js';

type Tok =
  | { t: 'word'; v: string; pos: number }
  | { t: 'phrase'; v: string; pos: number }
  | { t: 'field'; v: string; pos: number }
  | { t: 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus'; pos: number };

const FIELDS = new Set(['title', 'source', 'type', 'lang', 'ticker', 'tag', 'level']);
const MAX_QUERY_LENGTH = 2000;
const MAX_DEPTH = 32;

function syntax(message: string, pos: number): LodestoneError {
  return new LodestoneError('query_syntax', `${message} (at character ${pos + 1})`, { position: pos });
}

function lex(q: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const ch = q[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === '（') {
      toks.push({ t: 'lparen', pos: i++ });
      continue;
    }
    if (ch === ')' || ch === '）') {
      toks.push({ t: 'rparen', pos: i++ });
      continue;
    }
    if (ch === '"' || ch === '“' || ch === '”') {
      const start = i;
      i++;
      let v = '';
      while (i < q.length && q[i] !== '"' && q[i] !== '”' && q[i] !== '“') v += q[i++];
      if (i >= q.length) throw syntax('Unterminated quote: add the closing "', start);
      i++;
      toks.push({ t: 'phrase', v, pos: start });
      continue;
    }
    if (ch === '-' && i + 1 < q.length && !/\s/.test(q[i + 1]!) && (i === 0 || /[\s(（]/.test(q[i - 1]!))) {
      toks.push({ t: 'minus', pos: i++ });
      continue;
    }
    const start = i;
    let v = '';
    while (i < q.length && !/[\s()（）"“”]/.test(q[i]!)) {
      v += q[i++];
      // field:  — a known field name followed by a colon starts a field expression.
      if (q[i] === ':' || q[i] === '：') {
        const name = v.toLowerCase();
        if (FIELDS.has(name)) {
          i++;
          toks.push({ t: 'field', v: name, pos: start });
          v = '';
          break;
        }
      }
    }
    if (v === '') continue;
    if (v === 'AND') toks.push({ t: 'and', pos: start });
    else if (v === 'OR') toks.push({ t: 'or', pos: start });
    else if (v === 'NOT') toks.push({ t: 'not', pos: start });
    else toks.push({ t: 'word', v, pos: start });
  }
  return toks;
}

const CJK_ONLY = /^[\p{Script=Han}]+$/u;

/** Build the text leaf (or AND of leaves) for one unquoted word. */
function wordNode(raw: string, field: TextField): QueryNode | null {
  if (CJK_ONLY.test(raw) && raw.length > 2) {
    const pieces = chineseSegmenter()
      .segment(raw)
      .filter((s) => !s.isSeparator)
      .map((s) => s.text);
    if (pieces.length > 1 && pieces.every((p) => p.length >= 2)) {
      const leaves = pieces.map((p) => textNode(p, field, false)).filter((n): n is TextNode => n !== null);
      return leaves.length === 1 ? leaves[0]! : { kind: 'and', children: leaves };
    }
  }
  return textNode(raw, field, false);
}

export function textNode(raw: string, field: TextField, quoted: boolean): TextNode | null {
  const qt = queryTerms(raw);
  if (qt.terms.length === 0) return null; // only punctuation: nothing to look for
  return { kind: 'text', raw, terms: qt.terms, prefix: qt.prefix, field, quoted };
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly length: number,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  parse(): QueryNode | null {
    if (this.toks.length === 0) return null;
    const node = this.or(null);
    const rest = this.peek();
    if (rest) {
      if (rest.t === 'rparen') throw syntax('Unmatched ")"', rest.pos);
      throw syntax('Unexpected input', rest.pos);
    }
    return node;
  }

  private or(field: TextField): QueryNode | null {
    const children: QueryNode[] = [];
    const first = this.and(field);
    if (first) children.push(first);
    while (this.peek()?.t === 'or') {
      const op = this.peek()!;
      this.i++;
      const next = this.and(field);
      if (!next && !first) throw syntax('OR needs a term on both sides', op.pos);
      if (!next) throw syntax('OR needs a term after it', op.pos);
      if (children.length === 0) throw syntax('OR needs a term before it', op.pos);
      children.push(next);
    }
    if (children.length === 0) return null;
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private and(field: TextField): QueryNode | null {
    const children: QueryNode[] = [];
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.t === 'or' || tok.t === 'rparen') break;
      if (tok.t === 'and') {
        this.i++;
        const nxt = this.peek();
        if (children.length === 0) throw syntax('AND needs a term before it', tok.pos);
        if (!nxt || nxt.t === 'or' || nxt.t === 'rparen' || nxt.t === 'and')
          throw syntax('AND needs a term after it', tok.pos);
        continue;
      }
      const u = this.unary(field);
      if (u) children.push(u);
    }
    if (children.length === 0) return null;
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private unary(field: TextField): QueryNode | null {
    const tok = this.peek()!;
    if (tok.t === 'not' || tok.t === 'minus') {
      this.i++;
      const nxt = this.peek();
      if (!nxt || nxt.t === 'or' || nxt.t === 'and' || nxt.t === 'rparen')
        throw syntax(`${tok.t === 'not' ? 'NOT' : '-'} needs a term after it`, tok.pos);
      const child = this.unary(field);
      return child ? { kind: 'not', child } : null;
    }
    return this.primary(field);
  }

  private primary(field: TextField): QueryNode | null {
    const tok = this.peek()!;
    this.i++;
    switch (tok.t) {
      case 'lparen': {
        if (++this.depth > MAX_DEPTH) throw syntax('Too many nested parentheses', tok.pos);
        const inner = this.or(field);
        const close = this.peek();
        if (close?.t !== 'rparen') throw syntax('Missing ")" for this "("', tok.pos);
        this.i++;
        this.depth--;
        return inner;
      }
      case 'phrase':
        return textNode(tok.v, field, true);
      case 'word':
        return wordNode(tok.v, field);
      case 'field':
        return this.fieldValue(tok.v, tok.pos, field);
      default:
        throw syntax('Unexpected operator', tok.pos);
    }
  }

  private fieldValue(name: string, pos: number, outer: TextField): QueryNode | null {
    const val = this.peek();
    if (val?.t === 'lparen') {
      if (name !== 'title') throw syntax(`${name}: takes one value, not a group`, pos);
      if (outer !== null) throw syntax('title: cannot be nested inside title:', pos);
      return this.primary('title');
    }
    if (!val || (val.t !== 'word' && val.t !== 'phrase')) {
      const example = name === 'title' ? 'title:稀土' : `${name}:…`;
      throw syntax(`${name}: needs a value, e.g. ${example}`, pos);
    }
    this.i++;
    if (name === 'title') {
      if (outer !== null) throw syntax('title: cannot be nested inside title:', pos);
      return val.t === 'phrase' ? textNode(val.v, 'title', true) : wordNode(val.v, 'title');
    }
    const value = val.v.trim();
    if (value === '') throw syntax(`${name}: needs a value`, pos);
    return { kind: 'filter', field: name as FilterField, value };
  }
}

/** Parse a query string into an AST (null for an empty query). */
export function parseQuery(q: string): QueryNode | null {
  if (q.length > MAX_QUERY_LENGTH) {
    throw new LodestoneError('query_syntax', `Query too long (${q.length} characters; at most ${MAX_QUERY_LENGTH})`);
  }
  const toks = lex(q);
  const node = new Parser(toks, q.length).parse();
  checkQueryCost(node);
  return node;
}
