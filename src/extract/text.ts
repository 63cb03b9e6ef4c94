/** Plain text and Markdown -> title and paragraphs. */
import type { Paragraph } from '../core/types.js';
import { renumber, splitParagraphs } from './paragraphs.js';

/**
 * Plain text: a short first line followed by more text is the title (a note's or a
 * report's heading), not a paragraph; otherwise there is no title and the caller names
 * the document (files: by their name).
 */
export function extractText(text: string): { title: string; paragraphs: Paragraph[] } {
  const paragraphs = splitParagraphs(text);
  const first = paragraphs[0]?.text ?? '';
  if (paragraphs.length >= 2 && looksLikeTitle(first)) return { title: first, paragraphs: renumber(paragraphs.slice(1)) };
  return { title: '', paragraphs };
}

/** A line that reads as a heading: short, and not a sentence (no closing punctuation). */
function looksLikeTitle(line: string): boolean {
  return line.length > 0 && line.length <= 80 && !/[。！？；.!?;:：，,]$/.test(line);
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
  const paragraphs = splitParagraphs(cleaned.join('\n'));
  // No heading: the first line may still be the title, as in plain text.
  if (title === '') return extractText(cleaned.join('\n'));
  return { title, paragraphs };
}

function inline(s: string): string {
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.*?)\1/g, '$2')
    .replace(/`([^`]*)`/g, '$1');
}
