import { useI18n } from '../i18n.js';

/** `source · time`: the absolute local time, with the relative time beside it. */
export function SourceTime({ source, iso }: { source: string; iso: string | null }) {
  const { dateTime, relative } = useI18n();
  return (
    <span className="source-time">
      <span className="source">{source}</span>
      {iso && (
        <>
          {' · '}
          <time dateTime={iso} title={iso}>
            {dateTime(iso)}
          </time>
          <span className="relative"> ({relative(iso)})</span>
        </>
      )}
    </span>
  );
}

export function TypeBadge({ type }: { type: string }) {
  const { t } = useI18n();
  return <span className={`badge badge-${type}`}>{t.type[type] ?? type}</span>;
}
