/**
 * HTML -> title and paragraphs. Web pages go through Readability (article extraction);
 * fragments (feed item content) are walked directly. Scripts, styles and other non-text
 * elements are dropped; text is only ever read as text, never re-emitted as HTML.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { Paragraph } from '../core/types.js';
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

/** Text of a DOM subtree with paragraph breaks at block elements. */
export function blockText(root: MinimalNode): string {
  const parts: string[] = [];
  const walk = (node: MinimalNode) => {
    if (node.nodeType === 3) {
      parts.push((node.textContent ?? '').replace(/\s+/g, ' '));
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) return;
    const name = node.nodeName.toUpperCase();
    if (SKIP.has(name)) return;
    if (name === 'BR') {
      parts.push('\n');
      return;
    }
    const block = BLOCK.has(name);
    if (block) parts.push('\n\n');
    for (let i = 0; i < node.childNodes.length; i++) walk(node.childNodes[i]!);
    if (block) parts.push('\n\n');
  };
  walk(root);
  return parts.join('');
}

export function htmlFragmentToParagraphs(html: string): Paragraph[] {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  return paragraphsFromBlockText(blockText(document.body as unknown as MinimalNode));
}

function paragraphsFromBlockText(text: string): Paragraph[] {
  // Block boundaries are blank lines; a <br> inside a block is a line break -> its own paragraph.
  const out: Paragraph[] = [];
  for (const block of text.split(/\n\s*\n/)) out.push(...splitParagraphs(block));
  return renumber(out);
}

export interface HtmlPage {
  title: string;
  paragraphs: Paragraph[];
  lang: string | null;
  publishedAt: string | null;
  siteName: string | null;
}

/** A full web page: Readability's article when it finds one, else the body's text. */
export function extractHtmlPage(html: string, url?: string): HtmlPage {
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
  if (paragraphs.length === 0 && document.body) {
    paragraphs = paragraphsFromBlockText(blockText(document.body as unknown as MinimalNode));
  }
  return { title, paragraphs, lang, publishedAt: metaDate, siteName };
}
