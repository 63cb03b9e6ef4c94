/**
 * What one query may cost. A query is parsed by anyone who can reach the server, and its
 * work runs on the server's only event loop: 600 one-character terms took 21 s, 600
 * negations 3.9 s. Past these bounds the query is refused (400, `query_too_costly`) with
 * the reason; within them the store also stops a query that runs past its time budget
 * (store/sqlite/search.ts).
 *
 * Why these numbers: a one-character term is a prefix query that reaches every word
 * starting with that character (`的` alone: 0.6 s over 171,000 documents, matching 98,000);
 * three of them cost ~1.2 s there. Words of two or more characters cost a posting list each
 * (64 OR'ed words: 88 ms), so 32 text terms leave room for any query a person writes.
 * In the server, one-character terms are answered on a thread of their own
 * (store/sqlite/fts-reader.ts), so they no longer hold the event loop.
 */
import { LodestoneError } from '../../core/errors.js';
import type { QueryNode } from './ast.js';

export const QUERY_LIMITS = {
  /** Text terms (words and phrases, after an unspaced Chinese run is split into words), negated ones included. */
  maxTextLeaves: 32,
  /** One-character (prefix) terms. */
  maxPrefixLeaves: 3,
  /** Index terms in all (a quoted phrase of n CJK characters has n - 1). */
  maxIndexTerms: 256,
} as const;

function costly(message: string): LodestoneError {
  return new LodestoneError('query_too_costly', message);
}

/** Throws query_too_costly when the query is past one of QUERY_LIMITS. */
export function checkQueryCost(node: QueryNode | null): void {
  let leaves = 0;
  let prefixes = 0;
  let terms = 0;
  const stack: QueryNode[] = node ? [node] : [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'text') {
      leaves++;
      if (n.prefix) prefixes++;
      terms += n.terms.length;
    } else if (n.kind === 'not') stack.push(n.child);
    else if (n.kind === 'and' || n.kind === 'or') stack.push(...n.children);
  }
  const L = QUERY_LIMITS;
  if (prefixes > L.maxPrefixLeaves) {
    throw costly(
      `the query has ${prefixes} one-character terms (at most ${L.maxPrefixLeaves}): a single character matches every word that starts with it; search for words of two or more characters`,
    );
  }
  if (leaves > L.maxTextLeaves) throw costly(`the query has ${leaves} terms (at most ${L.maxTextLeaves}); narrow it down`);
  if (terms > L.maxIndexTerms) throw costly(`the query is too long to search (${terms} index terms, at most ${L.maxIndexTerms}); quote a shorter phrase`);
}
