/**
 * A document: metadata, the original link, numbered paragraphs with anchors (#p3 scrolls
 * to paragraph 3 and highlights it: what a summary's [3] citation links to), the query's
 * terms highlighted when arriving from a search, and the other outlets of its cluster.
 */
import { useEffect, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type DocView, type SummaryView } from '../api.js';
import { Marked } from '../components/Marked.js';
import { SourceTime, TypeBadge } from '../components/SourceTime.js';
import { SummaryBlock } from '../components/SummaryBlock.js';
import { useI18n } from '../i18n.js';

/** Only http(s) links are followed: a document's url comes from the internet. */
export function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function DocumentPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const [, navigate] = useLocation();
  const search = useSearch();
  const q = new URLSearchParams(search).get('q') ?? '';
  // The search's translation settings come along, so highlights show what it matched.
  const hq = (() => {
    const u = new URLSearchParams(search);
    const keep = new URLSearchParams();
    for (const k of ['q', 'translate', 'off']) for (const v of u.getAll(k)) keep.append(k, v);
    return q ? keep.toString() : '';
  })();
  const [doc, setDoc] = useState<DocView | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const [target, setTarget] = useState<number | null>(null);
  const [summary, setSummary] = useState<SummaryView | null>(null);
  const [summaryError, setSummaryError] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setDoc(null);
    setError(null);
    api
      .document(id, hq, ctl.signal)
      .then(setDoc)
      .catch((e: Error & { status?: number }) => {
        if (e.name !== 'AbortError') setError({ status: e.status ?? 0, message: e.message });
      });
    return () => ctl.abort();
  }, [id, hq]);

  useEffect(() => {
    const ctl = new AbortController();
    setSummary(null);
    setSummaryError(null);
    api
      .summary(id, ctl.signal)
      .then(setSummary)
      .catch((e: Error) => {
        // The document stands without its summary; say why.
        if (e.name !== 'AbortError') setSummaryError(e.message);
      });
    return () => ctl.abort();
  }, [id]);

  // #pN: scroll to paragraph N and mark it (also when the hash changes on this page).
  useEffect(() => {
    if (!doc) return;
    const apply = () => {
      const m = /^#p(\d+)$/.exec(window.location.hash);
      const n = m ? Number(m[1]) : null;
      setTarget(n);
      if (n !== null) document.getElementById(`p${n}`)?.scrollIntoView({ block: 'center' });
    };
    apply();
    window.addEventListener('hashchange', apply);
    return () => window.removeEventListener('hashchange', apply);
  }, [doc]);

  if (error) {
    return (
      <div className="document-page">
        <p className="error" role="alert">
          {error.status === 404 ? t.notFound : `${t.error}: ${t.reason(error.message)}`}
        </p>
        <BackLink q={q} />
      </div>
    );
  }
  if (!doc) return <p className="loading">{t.loading}</p>;
  const url = safeUrl(doc.url);
  const remove = async () => {
    if (!window.confirm(t.docConfirmDelete(doc.title || doc.id))) return;
    try {
      await api.deleteDocument(doc.id);
      navigate(q ? `/search?q=${encodeURIComponent(q)}` : '/search');
    } catch (e) {
      window.alert(t.reason((e as Error).message));
    }
  };
  const others = doc.cluster?.members.filter((m) => m.id !== doc.id) ?? [];
  // The publisher's tags and importance level (metadata), each a link to a search by it.
  const tags = Array.isArray(doc.metadata.tags) ? doc.metadata.tags.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
  const level = typeof doc.metadata.level === 'string' && doc.metadata.level.trim() !== '' ? doc.metadata.level.trim().toUpperCase() : null;
  return (
    <article className="document-page">
      <BackLink q={q} />
      <header>
        <h1>
          <Marked text={doc.title} ranges={doc.highlights?.title ?? []} />
        </h1>
        <div className="meta">
          <TypeBadge type={doc.type} />
          <SourceTime source={doc.source} iso={doc.published_at} />
          {url && (
            <>
              {' · '}
              <a href={url} rel="noopener noreferrer nofollow" target="_blank">
                {t.open}
              </a>
            </>
          )}
          {' · '}
          <button type="button" className="danger" onClick={remove}>
            {t.docDelete}
          </button>
        </div>
        <dl className="facts">
          {doc.fetched_at && (
            <>
              <dt>{t.fetched}</dt>
              <dd>{dateTime(doc.fetched_at)}</dd>
            </>
          )}
          {doc.tickers.length > 0 && (
            <>
              <dt>{t.tickers}</dt>
              <dd>{doc.tickers.join(' ')}</dd>
            </>
          )}
          {tags.length > 0 && (
            <>
              <dt>{t.tags}</dt>
              <dd className="tags">
                {tags.map((tag) => (
                  <Link key={tag} href={`/search?q=${encodeURIComponent(`tag:${/[\s"()]/.test(tag) ? JSON.stringify(tag) : tag}`)}&sort=newest`}>
                    {tag}
                  </Link>
                ))}
              </dd>
            </>
          )}
          {level && (
            <>
              <dt>{t.level}</dt>
              <dd>
                <Link href={`/search?q=${encodeURIComponent(`level:${level}`)}&sort=newest`}>{level}</Link>
              </dd>
            </>
          )}
        </dl>
      </header>
      {summary && summary.sections.length > 0 && (
        <section className="summary-card" aria-label={t.summary}>
          <h2>{t.summary}</h2>
          <SummaryBlock summary={summary} paragraphText={(n) => doc.paragraphs.find((p) => p.n === n)?.text} />
        </section>
      )}
      {summaryError && (
        <p className="summary-error" role="status">
          {t.summaryFailed}: {t.reason(summaryError)}
        </p>
      )}
      <ol className="paragraphs" aria-label={t.paragraphs}>
        {doc.paragraphs.map((p, i) => (
          <li key={p.n} id={`p${p.n}`} className={target === p.n ? 'target' : ''} value={p.n}>
            <a className="pn" href={`#p${p.n}`} aria-label={`¶${p.n}`}>
              {p.n}
            </a>
            <p>
              <Marked text={p.text} ranges={doc.highlights?.paragraphs[i] ?? []} />
              {p.page !== undefined && <span className="page">{t.page(p.page)}</span>}
            </p>
          </li>
        ))}
      </ol>
      {others.length > 0 && (
        <section className="also">
          <h2>{t.alsoPublishedBy}</h2>
          <ul>
            {others.map((m) => (
              <li key={m.id}>
                <SourceTime source={m.source} iso={m.published_at} />{' '}
                <Link href={`/documents/${encodeURIComponent(m.id)}`}>{m.title}</Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}

function BackLink({ q }: { q: string }) {
  const { t } = useI18n();
  return (
    <p className="back">
      <Link href={q ? `/search?q=${encodeURIComponent(q)}` : '/search'}>← {t.back}</Link>
    </p>
  );
}
