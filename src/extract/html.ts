/**
 * HTML -> title and paragraphs. Web pages go through Readability (article extraction);
 * fragments (feed item content) are walked directly. Scripts, styles and other non-text
 * elements are dropped; text is only ever read as text, never re-emitted as HTML.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { LodestoneError } from '../core/errors.js';
import type { Paragraph } from '../core/types.js';
import { DOCUMENT_LIMITS } from '../sources/clean.js';
import { renumber, splitParagraphs } from './paragraphs.js';

const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'DD', 'DIV', 'DL', 'DT', 'FIGCAPTION', 'FIGURE', 'FOOTER',
  'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'MAIN', 'NAV', 'OL', 'P', 'PRE',
  'SECTION', 'TABLE', 'TR', 'UL', 'TD', 'TH', 'CAPTION',
]);
const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'CANVAS', 'HEAD']);

interface MinimalNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<MinimalNode>;
}

/**
 * Text of a DOM subtree with paragraph breaks at block elements. Walked with an explicit
 * stack, not recursion: a page nested 100,000 elements deep must not overflow the stack.
 */
export function blockText(root: MinimalNode): string {
  const parts: string[] = [];
  // A node to enter, or the marker that closes a block element.
  const stack: (MinimalNode | null)[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === null) {
      parts.push('\n\n');
      continue;
    }
    if (node.nodeType === 3) {
      parts.push((node.textContent ?? '').replace(/\s+/g, ' '));
      continue;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) continue;
    const name = node.nodeName.toUpperCase();
    if (SKIP.has(name)) continue;
    if (name === 'BR') {
      parts.push('\n');
      continue;
    }
    if (BLOCK.has(name)) {
      parts.push('\n\n');
      stack.push(null);
    }
    // linkedom builds childNodes on every access: read it once.
    const kids = node.childNodes;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return parts.join('');
}

/** Elements nested deeper than this skip Readability, whose cost grows with the cube of the depth (2,000 levels: 54 s). */
export const MAX_READABILITY_DEPTH = 96;

/** How deep elements nest under `root` (counted without recursion, stopping past `limit`). */
export function nestingDepth(root: MinimalNode, limit: number): number {
  let max = 0;
  const stack: [MinimalNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (d > max) {
      max = d;
      if (max > limit) return max;
    }
    const kids = node.childNodes;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i]!;
      if (c.nodeType === 1) stack.push([c, d + 1]);
    }
  }
  return max;
}

export function htmlFragmentToParagraphs(html: string): Paragraph[] {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  return paragraphsFromBlockText(blockText(document.body as unknown as MinimalNode));
}

function paragraphsFromBlockText(text: string): Paragraph[] {
  // Block boundaries are blank lines; a <br> inside a block is a line break -> its own paragraph.
  const out: Paragraph[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    for (const p of splitParagraphs(block)) out.push(p);
    // Refused here rather than after building millions of paragraphs (sources/clean.ts refuses them anyway).
    if (out.length > DOCUMENT_LIMITS.maxParagraphs) {
      throw new LodestoneError('too_large', `more than ${DOCUMENT_LIMITS.maxParagraphs} paragraphs; split the document`);
    }
  }
  return renumber(out);
}

export interface HtmlPage {
  title: string;
  paragraphs: Paragraph[];
  lang: string | null;
  publishedAt: string | null;
  siteName: string | null;
}

/** Elements that close themselves or are closed by the parser when a sibling opens. */
const NOT_NESTING = new Set([
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr',
  'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'rb', 'rt', 'rp', 'thead', 'tbody', 'tfoot',
  'colgroup', 'caption', 'html', 'head', 'body', '!doctype',
]);

/**
 * Markup nested deeper than this is flattened before it is parsed: the parser's cost grows
 * faster than the depth (linkedom: 10,000 levels 85 ms, 100,000 levels 3.9 s, 200,000 45 s).
 */
export const MAX_PARSE_DEPTH = 5_000;

/** How deep start tags nest in raw HTML, roughly (void and auto-closed elements do not count), stopping past `limit`. */
export function rawTagDepth(html: string, limit: number): number {
  const tag = /<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g;
  let depth = 0;
  let max = 0;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    const name = m[2]!.toLowerCase();
    if (NOT_NESTING.has(name) || m[3] === '/') continue;
    if (m[1] === '/') depth = Math.max(0, depth - 1);
    else if (++depth > max) {
      max = depth;
      if (max > limit) return max;
    }
  }
  return max;
}

/** The text of over-deep markup as flat blocks: scripts, styles and comments dropped, block tags kept as breaks, every other tag removed. */
function flattenHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|template|noscript)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?([a-zA-Z][\w:-]*)[^>]*>/g, (_m, name: string) => (BLOCK.has(name.toUpperCase()) || name.toLowerCase() === 'br' ? '<br>' : ''))
    .replace(/(?:<br>\s*){3,}/g, '<br><br>');
}

/** A full web page: Readability's article when it finds one, else the body's text. */
export function extractHtmlPage(input: string, url?: string): HtmlPage {
  let html = rawTagDepth(input, MAX_PARSE_DEPTH) > MAX_PARSE_DEPTH ? `<html><body>${flattenHtml(input)}</body></html>` : input;
  // A file of text or a fragment without <html> parses to a document without a root.
  if (!/<html[\s>]/i.test(html.slice(0, 4096))) html = `<!doctype html><html><body>${html}</body></html>`;
  const { document } = parseHTML(html);
  const docTitle = (document.querySelector('title')?.textContent ?? '').trim();
  const lang = document.documentElement?.getAttribute('lang') ?? null;
  const metaDate =
    document.querySelector('meta[property="article:published_time"]')?.getAttribute('content') ??
    document.querySelector('meta[name="pubdate"]')?.getAttribute('content') ??
    document.querySelector('time[datetime]')?.getAttribute('datetime') ??
    null;
  const siteName = document.querySelector('meta[property="og:site_name"]')?.getAttribute('content') ?? null;
  let title = docTitle;
  let paragraphs: Paragraph[] = [];
  // Deeply nested markup (hostile or generated) is read as plain blocks below.
  const deep = document.body ? nestingDepth(document.body as unknown as MinimalNode, MAX_READABILITY_DEPTH) > MAX_READABILITY_DEPTH : false;
  if (!deep) {
    try {
      // Readability mutates the document it reads, so give it its own parse.
      const { document: copy } = parseHTML(html);
      if (url) {
        // Readability resolves relative links against the document URL when it has a <base>.
        const base = copy.createElement('base');
        base.setAttribute('href', url);
        copy.head?.appendChild(base);
      }
      const article = new Readability(copy as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 100 }).parse();
      if (article?.content) {
        paragraphs = htmlFragmentToParagraphs(article.content);
        if (article.title) title = article.title.trim();
      }
    } catch {
      // fall back to the whole body below
    }
  }
  if (paragraphs.length === 0 && document.body) {
    paragraphs = paragraphsFromBlockText(blockText(document.body as unknown as MinimalNode));
  }
  return { title, paragraphs, lang, publishedAt: metaDate, siteName };
}
