/**
 * A summary in the seed shape: headings, points, and [n] citations that link to the cited
 * paragraph (#pN). On the document page hovering a citation shows the paragraph's text.
 * A point the verifier rejected is marked, with its problems on hover.
 */
import { Link } from 'wouter';
import type { SummaryView } from '../api.js';
import { useI18n } from '../i18n.js';

export function SummaryBlock({
  summary,
  paragraphText,
  docHref,
  compact = false,
}: {
  summary: SummaryView;
  /** Paragraph text by number, for the hover preview (document page). */
  paragraphText?: (n: number) => string | undefined;
  /** Link base for citations from another page (search results); same-page anchors otherwise. */
  docHref?: string;
  compact?: boolean;
}) {
  const { t } = useI18n();
  const sections = compact ? summary.sections.slice(0, 3) : summary.sections;
  return (
    <div className={`summary${compact ? ' compact' : ''}`}>
      {sections.map((s) => (
        <div key={s.heading} className="summary-section">
          <span className="summary-heading">{t.heading(s.heading)}</span>
          {s.points.map((p) => (
            <span key={`${p.text}-${p.citations.join(',')}`} className={`point${p.verified ? '' : ' unverified'}`}>
              {' – '}
              {p.text}
              {!p.verified && (
                <span className="warn" title={p.problems.join('\n')} role="img" aria-label={t.unverified}>
                  {' ⚠'}
                </span>
              )}
              {p.citations.map((n) =>
                docHref ? (
                  <Link key={n} href={`${docHref}#p${n}`} className="cite">
                    [{n}]
                  </Link>
                ) : (
                  <a key={n} href={`#p${n}`} className="cite" title={paragraphText?.(n)} aria-label={t.citation(n)}>
                    [{n}]
                  </a>
                ),
              )}
            </span>
          ))}
        </div>
      ))}
      {!compact && (
        <p className="summary-method">{summary.method === 'extractive' ? t.extractive : (summary.model ?? '')}</p>
      )}
    </div>
  );
}
