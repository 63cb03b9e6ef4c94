/** Plain text and Markdown -> title and paragraphs. */
import type { Paragraph } from '../core/types.js';
import { splitParagraphs } from './paragraphs.js';

export function extractText(text: string): { title: string; paragraphs: Paragraph[] } {
  return { title: '', paragraphs: splitParagraphs(text) };
}

/**
 * Markdown: the first heading is the title; heading marks, emphasis and link syntax are
 * removed from paragraph text (the words stay), code fences keep their content.
 */
export function extractMarkdown(md: string): { title: string; paragraphs: Paragraph[] } {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  let title = '';
  const cleaned: string[] = [];
  for (const line of lines) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      if (title === '') title = inline(h[1]!);
      cleaned.push('', inline(h[1]!), '');
      continue;
    }
    if (/^\s*(```|~~~)/.test(line)) continue;
    cleaned.push(inline(line.replace(/^\s*([-*+]|\d+\.)\s+/, '').replace(/^\s*>\s?/, '')));
  }
  return { title, paragraphs: splitParagraphs(cleaned.join('\n')) };
}

function inline(s: string): string {
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/`([^`]*)`/g, '$1');
}
