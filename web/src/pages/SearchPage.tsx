/**
 * The search page. The URL is the state (/search?q=稀土&sort=newest&type=report…): typing
 * replaces the history entry, committing a query or changing a filter pushes one, so links
 * are shareable and the back button works.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type Hit, highlightQueryString, type LabelFacets, type SearchParams, type SearchResult, type Sort, searchQueryString } from '../api.js';
import { Marked } from '../components/Marked.js';
import { SourceTime, TypeBadge } from '../components/SourceTime.js';
import { SummaryBlock } from '../components/SummaryBlock.js';
import { useI18n } from '../i18n.js';

const PAGE = 20;
const PRESETS = [
  ['1d', 1],
  ['7d', 7],
  ['30d', 30],
  ['365d', 365],
] as const;

function parseParams(search: string): SearchParams {
  const u = new URLSearchParams(search);
  const list = (k: string) => u.getAll(k).flatMap((v) => v.split(',')).filter(Boolean);
  const sort = u.get('sort');
  return {
    q: u.get('q') ?? '',
    sort: sort === 'relevance' || sort === 'newest' ? sort : 'newest',
    ...(u.get('from') ? { from: u.get('from')! } : {}),
    ...(u.get('to') ? { to: u.get('to')! } : {}),
    type: list('type'),
    source: list('source'),
    lang: list('lang'),
    // "Search in both languages": the URL says, else the reader's last choice (on by default).
    translate: u.has('translate') ? u.get('translate') !== 'false' : rememberedTranslate(),
    off: list('off'),
  };
}

const TRANSLATE_KEY = 'lodestone.translate';

function rememberedTranslate(): boolean {
  try {
    return localStorage.getItem(TRANSLATE_KEY) !== 'false';
  } catch {
    return true;
  }
}

function rememberTranslate(on: boolean): void {
  try {
    localStorage.setItem(TRANSLATE_KEY, on ? 'true' : 'false');
  } catch {
    // private mode: the URL still carries the choice
  }
}

function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function presetOf(p: SearchParams): string {
  if (!p.from && !p.to) return 'any';
  if (p.to) return 'custom';
  for (const [key, days] of PRESETS) {
    if (p.from === isoDay(new Date(Date.now() - days * 86400_000))) return key;
  }
  return 'custom';
}

export function SearchPage() {
  const { t, num } = useI18n();
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = useMemo(() => parseParams(search), [search]);
  const [text, setText] = useState(params.q);
  const [result, setResult] = useState<SearchResult | null>(null);
  const [labels, setLabels] = useState<LabelFacets | null>(null);
  const [hits, setHits] = useState<Hit[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState(-1);
  const [helpOpen, setHelpOpen] = useState(false);
  const [emptyDb, setEmptyDb] = useState(false);
  const [customDates, setCustomDates] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const typedAt = useRef<number | null>(null);
  const listRef = useRef<HTMLOListElement>(null);

  // The box takes focus when the page opens empty: searching is what this page is for.
  // biome-ignore lint/correctness/useExhaustiveDependencies: on mount only
  useEffect(() => {
    if (params.q === '') input.current?.focus();
  }, []);

  // Keep the box in step with the URL (back/forward), unless the user is typing.
  useEffect(() => {
    if (document.activeElement !== input.current) setText(params.q);
  }, [params.q]);

  const go = useCallback(
    (next: SearchParams, replace = false) => {
      navigate(`/search?${searchQueryString({ ...next, offset: 0, limit: 0 })}`, { replace });
    },
    [navigate],
  );

  // Search as you type: a short pause, then the URL (and so the results) follow the box.
  useEffect(() => {
    if (text === params.q) return;
    const h = setTimeout(() => go({ ...params, q: text }, true), 50);
    return () => clearTimeout(h);
  }, [text, params, go]);

  useEffect(() => {
    api
      .stats()
      .then((s) => setEmptyDb(s.documents === 0))
      .catch(() => {});
  }, []);

  useEffect(() => {
    if (params.q.trim() === '' && !params.type?.length && !params.source?.length && !params.lang?.length) {
      setResult(null);
      setHits([]);
      setError(null);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    api
      .search({ ...params, limit: PAGE }, ctl.signal)
      .then((r) => {
        setResult(r);
        setHits(r.hits);
        setError(null);
        setSelected(-1);
        setLabels(null);
        // Tags and levels come after the results, so the results never wait for them.
        if (r.total > 0) api.labels(params, ctl.signal).then(setLabels, () => undefined);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setError(e.message);
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [params]);

  // Keystroke-to-results, for the benchmark: measured once the new results are painted.
  useEffect(() => {
    if (result === null || typedAt.current === null) return;
    const start = typedAt.current;
    typedAt.current = null;
    requestAnimationFrame(() => {
      performance.measure('lodestone:search-to-render', { start, end: performance.now() });
    });
  }, [result]);

  const loadMore = () => {
    if (!result) return;
    setLoading(true);
    api
      .search({ ...params, offset: hits.length, limit: PAGE })
      .then((r) =>
        setHits((h) => {
          const seen = new Set(h.map((x) => x.id));
          return [...h, ...r.hits.filter((x) => !seen.has(x.id))];
        }),
      )
      .catch((e: Error) => setError(e.message))
      .finally(() => setLoading(false));
  };

  // Keyboard: / focuses the box, j/k move, Enter opens, Esc clears.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
      if (e.key === 'Escape') {
        if (helpOpen) setHelpOpen(false);
        else if (target === input.current) {
          setText('');
          go({ ...params, q: '' });
        } else setSelected(-1);
        return;
      }
      if (typing || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === '/') {
        e.preventDefault();
        input.current?.focus();
        input.current?.select();
      } else if (e.key === 'j' || e.key === 'k') {
        e.preventDefault();
        setSelected((s) => {
          const n = e.key === 'j' ? Math.min(hits.length - 1, s + 1) : Math.max(0, s - 1);
          const link = listRef.current?.querySelectorAll<HTMLAnchorElement>('a.result-title')[n];
          link?.focus();
          return n;
        });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [hits.length, params, go, helpOpen]);

  const toggle = (key: 'type' | 'source' | 'lang', value: string) => {
    const cur = params[key] ?? [];
    go({ ...params, [key]: cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value] });
  };

  const setPreset = (v: string) => {
    setCustomDates(v === 'custom');
    if (v === 'custom') return;
    const { from: _f, to: _t, ...rest } = params;
    if (v === 'any') return go(rest);
    const days = PRESETS.find(([k]) => k === v)?.[1] ?? 7;
    go({ ...rest, from: isoDay(new Date(Date.now() - days * 86400_000)) });
  };
  const preset = customDates ? 'custom' : presetOf(params);
  const hq = highlightQueryString(params);
  const docLink = (id: string) => `/documents/${encodeURIComponent(id)}${hq ? `?${hq}` : ''}`;
  const hasFilters = Boolean(params.type?.length || params.source?.length || params.lang?.length || params.from || params.to);

  return (
    <div className="search-page">
      <form
        className="query-row"
        aria-label={t.searchLabel}
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...params, q: text });
        }}
      >
        <input
          ref={input}
          type="search"
          className="query"
          aria-label={t.searchLabel}
          placeholder={t.searchPlaceholder}
          value={text}
          onChange={(e) => {
            typedAt.current = performance.now();
            setText(e.target.value);
          }}
        />
        <button type="button" className="help-button" aria-expanded={helpOpen} onClick={() => setHelpOpen((o) => !o)}>
          ?<span className="sr-only">{t.help}</span>
        </button>
        {helpOpen && (
          <div className="help-popover" role="dialog" aria-label={t.helpTitle}>
            <h2>{t.helpTitle}</h2>
            <table>
              <tbody>
                {t.helpRows.map(([q, what]) => (
                  <tr key={q}>
                    <td>
                      <code>{q}</code>
                    </td>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>{t.helpKeys}</p>
          </div>
        )}
      </form>

      <Translations
        params={params}
        result={result}
        onSwitch={(on) => {
          rememberTranslate(on);
          go({ ...params, translate: on, off: [] });
        }}
        onToggle={(text) => {
          const off = params.off ?? [];
          go({ ...params, off: off.includes(text) ? off.filter((x) => x !== text) : [...off, text] });
        }}
      />

      <div className="controls">
        <fieldset className="sort" aria-label={t.sortLabel}>
          {(['newest', 'relevance'] as Sort[]).map((s) => (
            <button key={s} type="button" aria-pressed={params.sort === s} onClick={() => go({ ...params, sort: s })}>
              {s === 'newest' ? t.sortNewest : t.sortRelevance}
            </button>
          ))}
        </fieldset>
        <select aria-label={t.dateAny} value={preset} onChange={(e) => setPreset(e.target.value)}>
          <option value="any">{t.dateAny}</option>
          <option value="1d">{t.date1d}</option>
          <option value="7d">{t.date7d}</option>
          <option value="30d">{t.date30d}</option>
          <option value="365d">{t.date365d}</option>
          <option value="custom">{t.dateCustom}</option>
        </select>
        {preset === 'custom' && (
          <>
            <label>
              {t.from}{' '}
              <input type="date" value={params.from ?? ''} onChange={(e) => go({ ...params, from: e.target.value })} />
            </label>
            <label>
              {t.to}{' '}
              <input type="date" value={params.to ?? ''} onChange={(e) => go({ ...params, to: e.target.value })} />
            </label>
          </>
        )}
        {hasFilters && (
          <button
            type="button"
            className="link-button"
            onClick={() => go({ q: params.q, sort: params.sort })}
          >
            {t.clearFilters}
          </button>
        )}
      </div>

      <div className="layout">
        <aside className="facets" aria-label="facets">
          {result?.facets &&
            (
              [
                ['type', t.filterType, result.facets.type],
                ['source', t.filterSource, result.facets.source],
                ['lang', t.filterLang, result.facets.lang],
              ] as const
            ).map(([key, label, counts]) => (
              <FacetSection
                key={key}
                title={label}
                counts={counts.slice(0, 12)}
                show={(v) => (key === 'type' ? (t.type[v] ?? v) : v)}
                pressed={(v) => (params[key] ?? []).includes(v)}
                onToggle={(v) => toggle(key, v)}
              />
            ))}
          {labels &&
            (
              [
                ['tag', t.tags, labels.tags],
                ['level', t.level, labels.levels],
              ] as const
            ).map(([field, label, counts]) => {
              // A tag or level facet adds its field to the query (tag:人工智能), or takes it out.
              const term = (v: string) => `${field}:${/[\s"()]/.test(v) ? JSON.stringify(v) : v}`;
              const words = params.q.split(/\s+/);
              return (
                <FacetSection
                  key={field}
                  title={label}
                  note={labels.counted < labels.total ? t.labelsCounted(num(labels.counted)) : undefined}
                  counts={counts}
                  pressed={(v) => words.includes(term(v))}
                  onToggle={(v) =>
                    go({ ...params, q: words.includes(term(v)) ? words.filter((w) => w !== term(v)).join(' ') : `${params.q} ${term(v)}`.trim() })
                  }
                />
              );
            })}
          {result?.facets && result.facets.month.length > 0 && (
            <section>
              <h3>{t.filterMonth}</h3>
              <ul>
                {result.facets.month.slice(0, 12).map((m) => {
                  const range = monthRange(m.value);
                  const on = params.from === range.from && params.to === range.to;
                  return (
                    <li key={m.value} className="month">
                      <button
                        type="button"
                        className="facet"
                        aria-pressed={on}
                        onClick={() => {
                          const { from: _f, to: _t, ...rest } = params;
                          setCustomDates(!on);
                          go(on ? rest : { ...rest, ...range });
                        }}
                      >
                        <span>{m.value}</span>
                        <span className="count">{num(m.count)}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </section>
          )}
        </aside>

        <section className="results" aria-live="polite" aria-busy={loading}>
          {error && (
            <p className="error" role="alert">
              {t.error}: {t.reason(error)}
            </p>
          )}
          {!result && !error && (
            <div className="empty">
              <h1>{t.emptyTitle}</h1>
              <p>{emptyDb ? t.emptyDb : t.emptyHint}</p>
              {emptyDb && <Link href="/sources">{t.navSources}</Link>}
            </div>
          )}
          {result && (
            <p className="count-line">
              {t.results(num(result.total), num(Math.round(result.took_ms)))}
              {result.total > 0 && (
                <span className="export">
                  {' · '}
                  {t.exportAs}{' '}
                  {(['csv', 'ndjson'] as const).map((f, i) => (
                    <span key={f}>
                      {i > 0 && ' · '}
                      <a href={`/api/search?${searchQueryString({ ...params, offset: 0, limit: 0 })}&format=${f}&limit=${Math.min(result.total, 10_000)}`} download>
                        {f.toUpperCase()}
                      </a>
                    </span>
                  ))}
                </span>
              )}
            </p>
          )}
          {result && result.total === 0 && (
            <div className="empty">
              <p>{t.noResults}</p>
              <p className="hint">{t.noResultsHint}</p>
            </div>
          )}
          <ol className="result-list" ref={listRef}>
            {hits.map((h, i) => (
              <ResultItem key={h.id} hit={h} href={docLink(h.id)} selected={i === selected} />
            ))}
          </ol>
          {result && hits.length < result.total && (
            <button type="button" className="load-more" onClick={loadMore} disabled={loading}>
              {loading ? t.loading : t.loadMore}
            </button>
          )}
        </section>
      </div>
    </div>
  );
}

/**
 * What the query was also searched as, one chip per translation (`rare earth → 稀土 · 稀土元素`);
 * a chip switches its translation off and on, and the switch turns translation off altogether.
 */
function Translations(props: { params: SearchParams; result: SearchResult | null; onSwitch: (on: boolean) => void; onToggle: (text: string) => void }) {
  const { t } = useI18n();
  const { params, result } = props;
  const on = params.translate !== false;
  const groups = on ? (result?.translations ?? []) : [];
  const off = params.off ?? [];
  if (params.q.trim() === '') return null;
  return (
    <fieldset className="translations" aria-label={t.translationsLabel}>
      <label className="translate-switch">
        <input type="checkbox" checked={on} onChange={(e) => props.onSwitch(e.target.checked)} />
        {t.translateSwitch}
      </label>
      {groups.map((g) => {
        const offHere = (g.off as string[] | undefined) ?? [];
        const chips = [...g.targets.map((x) => ({ text: x.text, origin: x.origin as string, on: true })), ...offHere.map((text) => ({ text, origin: '', on: false }))];
        if (chips.length === 0) return null;
        return (
          <span className="chip-group" key={g.source}>
            <span className="chip-source" lang={g.lang}>
              {g.source} →
            </span>
            {chips.map((c) => (
              <button
                key={c.text}
                type="button"
                className="chip"
                aria-pressed={c.on}
                title={c.on ? `${t.chipOn} (${t.origin[c.origin] ?? c.origin})` : t.chipOff}
                onClick={() => props.onToggle(c.text)}
              >
                {c.text}
              </button>
            ))}
          </span>
        );
      })}
      {on && groups.length === 0 && off.length === 0 && result && <span className="muted">{t.noTranslations}</span>}
    </fieldset>
  );
}

function ResultItem({ hit, href, selected }: { hit: Hit; href: string; selected: boolean }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [showSummary, setShowSummary] = useState(false);
  const others = hit.cluster?.others ?? [];
  // "Also in N sources" counts outlets, not copies (one outlet may carry a story twice).
  const outlets = new Set(others.map((o) => o.source)).size;
  const hasSummary = hit.summary !== null && hit.summary.sections.length > 0;
  return (
    <li className={`result${selected ? ' selected' : ''}`}>
      <div className="result-head">
        <TypeBadge type={hit.type} />
        <Link href={href} className="result-title">
          <Marked text={hit.display_title} ranges={hit.title_highlights} />
        </Link>
      </div>
      <div className="meta">
        <SourceTime source={hit.source} iso={hit.published_at} />
      </div>
      {/* The snippet keeps the search's context (its highlights); a summary made earlier is one click away. */}
      <p className="snippet">
        <Marked text={hit.snippet} ranges={hit.highlights} />
      </p>
      {hasSummary && hit.summary && (
        <div className="result-summary">
          <button type="button" className="link-button" aria-expanded={showSummary} onClick={() => setShowSummary((v) => !v)}>
            {showSummary ? t.hideSummary : t.showSummary}
          </button>
          {showSummary && <SummaryBlock summary={hit.summary} docHref={`/documents/${encodeURIComponent(hit.id)}`} compact />}
        </div>
      )}
      {others.length > 0 && (
        <div className="cluster">
          <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            {open ? t.hideOthers : t.alsoIn(outlets)}
          </button>
          {open && (
            <ul className="others">
              {others.map((o) => (
                <li key={o.id}>
                  <SourceTime source={o.source} iso={o.published_at} />{' '}
                  <Link href={`/documents/${encodeURIComponent(o.id)}`}>{o.title}</Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </li>
  );
}

/** A month facet value (YYYY-MM) as an inclusive day range: its first and last day. */
function monthRange(ym: string): { from: string; to: string } {
  const [y, m] = ym.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${ym}-01`, to: `${ym}-${String(last).padStart(2, '0')}` };
}

/** One facet: its values with counts, each a button that switches it on or off. */
function FacetSection(props: {
  title: string;
  note?: string | undefined;
  counts: readonly { value: string; count: number }[];
  show?: (value: string) => string;
  pressed: (value: string) => boolean;
  onToggle: (value: string) => void;
}) {
  const { num } = useI18n();
  if (props.counts.length === 0) return null;
  return (
    <section>
      <h3 title={props.note}>{props.title}</h3>
      <ul>
        {props.counts.map((c) => (
          <li key={c.value}>
            <button type="button" className="facet" aria-pressed={props.pressed(c.value)} onClick={() => props.onToggle(c.value)}>
              <span>{props.show ? props.show(c.value) : c.value}</span>
              <span className="count">{num(c.count)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
