/**
 * Summary section labels in the reader's language. Summaries store canonical English
 * labels (`Core Viewpoint`, `Group 2: 稀土`; the JSON API and the cache keep them); what a
 * reader sees is translated here, for the CLI and the web app alike (web/src/dictionaries.ts
 * imports this module). A theme's own words (`稀土`) are the document's and are
 * never translated.
 */
import type { SummarySection } from './extractive.js';

const ZH: [RegExp, string][] = [
  [/^Core Viewpoint$/, '核心观点'],
  [/^Investment Rating$/, '投资评级'],
  [/^Company Overview$/, '公司概况'],
  [/^Future Outlook$/, '未来展望'],
  [/^Group (\d+): /, '第$1组：'],
  [/^Group (\d+)$/, '第$1组'],
  [/^Section (\d+): /, '第$1部分：'],
  [/^Section (\d+)$/, '第$1部分'],
  [/^Key Points (\d+): /, '要点$1：'],
  [/^Key Points (\d+)$/, '要点$1'],
];

export function localizeHeading(heading: string, lang: 'en' | 'zh'): string {
  if (lang === 'en') return heading;
  for (const [re, to] of ZH) if (re.test(heading)) return heading.replace(re, to);
  return heading;
}

/** The seed-shaped text of a summary with its labels in `lang` ("核心观点 - … [2]"). */
export function renderLocalized(sections: SummarySection[], lang: 'en' | 'zh'): string {
  return sections
    .map((s) => `${localizeHeading(s.heading, lang)} - ${s.points.map((p) => `${p.text} ${p.citations.map((c) => `[${c}]`).join('')}`).join(' - ')}`)
    .join('\n');
}
