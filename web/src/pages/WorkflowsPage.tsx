/**
 * Workflows: the list, the editor (with a live preview of what the query matches now), and
 * a workflow's page: its latest digest in the seed layout (title, `source · time`, summary
 * with citations or an excerpt, newest first, "also in"), the run history, webhook
 * deliveries, and links to the Atom feed and the Markdown / HTML digests.
 */
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import {
  ApiError,
  api,
  type DeliveryRow,
  type Digest,
  type DigestEntry,
  type RunRow,
  type SearchResult,
  type Workflow,
  type WorkflowInput,
  workflowLinks,
} from '../api.js';
import { SourceTime } from '../components/SourceTime.js';
import { SummaryBlock } from '../components/SummaryBlock.js';
import { useI18n } from '../i18n.js';
import { scheduleWords } from '../../../src/workflows/cron-words.js';

const browserTz = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function errorText(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

export function WorkflowsPage() {
  const { t } = useI18n();
  const [list, setList] = useState<Workflow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [, navigate] = useLocation();
  const load = useCallback(() => {
    api
      .workflows()
      .then((r) => setList(r.workflows))
      .catch((e) => setError(errorText(e)));
  }, []);
  useEffect(load, [load]);
  return (
    <div className="workflows-page">
      <div className="page-head">
        <h1>{t.workflowsTitle}</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            {t.newWorkflow}
          </button>
        )}
      </div>
      <p className="hint">{t.workflowsIntro}</p>
      {error && (
        <p className="error" role="alert">
          {t.reason(error)}
        </p>
      )}
      {creating && (
        <WorkflowEditor
          initial={null}
          onCancel={() => setCreating(false)}
          onSaved={(wf) => {
            // The signing secret comes once, with the answer that made it: the page shows it.
            if (wf.webhook?.secret) sessionStorage.setItem(secretKey(wf.name), wf.webhook.secret);
            navigate(workflowLinks.page(wf.name));
          }}
        />
      )}
      {list && list.length === 0 && !creating && <p className="empty">{t.noWorkflows}</p>}
      {list && list.length > 0 && (
        <ul className="workflow-list">
          {list.map((wf) => (
            <WorkflowCard key={wf.name} wf={wf} />
          ))}
        </ul>
      )}
    </div>
  );
}

function WorkflowCard({ wf }: { wf: Workflow }) {
  const { t, dateTime, lang } = useI18n();
  return (
    <li className="workflow-card">
      <Link href={workflowLinks.page(wf.name)} className="workflow-name">
        {wf.name}
      </Link>
      {wf.paused && <span className="badge">{t.wfPaused}</span>}
      <code className="workflow-query">{wf.query}</code>
      <span className="meta">
        {wf.schedule ? <span title={wf.schedule}>{scheduleWords(wf.schedule, wf.tz, lang)}</span> : t.wfManual}
        {wf.next_run_at && ` · ${t.wfNextRun}: ${dateTime(wf.next_run_at)}`}
        {' · '}
        {wf.last_run
          ? `${t.wfLastRun}: ${dateTime(wf.last_run.started_at)} ${t.wfOutcome[wf.last_run.status]} · ${t.wfItems(wf.last_run.items)}`
          : t.wfNever}
      </span>
    </li>
  );
}

/** Where a just-made signing secret waits for the workflow's page (this tab only, read once). */
function secretKey(name: string): string {
  return `lodestone.secret.${name}`;
}

/** Create (initial = null) or edit a workflow; the preview follows the query as it is typed. */
function WorkflowEditor({ initial, onSaved, onCancel }: { initial: Workflow | null; onSaved: (wf: Workflow) => void; onCancel: () => void }) {
  const { t, num } = useI18n();
  const [name, setName] = useState(initial?.name ?? '');
  const [query, setQuery] = useState(initial?.query ?? '');
  const [schedule, setSchedule] = useState(initial?.schedule ?? '30 8 * * 1-5');
  const [tz, setTz] = useState(initial?.tz ?? browserTz());
  const [lang, setLang] = useState<'' | 'en' | 'zh'>(initial?.lang ?? '');
  const [summarize, setSummarize] = useState(initial?.summarize ?? true);
  const [translate, setTranslate] = useState(initial?.translate ?? true);
  const [brief, setBrief] = useState(initial?.brief ?? false);
  const [webhook, setWebhook] = useState(initial?.webhook?.url ?? '');
  const [maxItems, setMaxItems] = useState(initial?.max_items ?? 200);
  const [firstRunDays, setFirstRunDays] = useState(initial?.first_run_days ?? 7);
  const [sources, setSources] = useState((initial?.filters.source ?? []).join(', '));
  const [types, setTypes] = useState<string[]>(initial?.filters.type ?? []);
  const filters = useMemo(() => {
    const list = sources
      .split(/[,，]/)
      .map((x) => x.trim())
      .filter((x) => x !== '');
    return { ...(list.length ? { source: list } : {}), ...(types.length ? { type: types } : {}) };
  }, [sources, types]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<SearchResult | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  useEffect(() => {
    if (query.trim() === '') {
      setPreview(null);
      setPreviewError(null);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api
        .previewWorkflow({ query, filters, translate }, ctl.signal)
        .then((r) => {
          setPreview(r);
          setPreviewError(null);
        })
        .catch((e) => {
          if ((e as Error).name !== 'AbortError') setPreviewError(errorText(e));
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [query, filters, translate]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    const input: WorkflowInput = {
      name,
      query,
      schedule: schedule.trim() === '' ? null : schedule,
      tz,
      lang,
      summarize,
      translate,
      brief,
      webhook: webhook.trim() === '' ? null : webhook.trim(),
      max_items: maxItems,
      first_run_days: firstRunDays,
      filters,
    };
    try {
      onSaved(initial ? await api.updateWorkflow(initial.name, input) : await api.createWorkflow(input));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="workflow-editor" onSubmit={submit} aria-label={initial ? t.wfEdit : t.newWorkflow}>
      <div className="editor-fields">
        <label>
          {t.wfName}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={80} name="name" />
        </label>
        <label>
          {t.wfQuery}
          <input value={query} onChange={(e) => setQuery(e.target.value)} required name="query" placeholder="稀土 (出口管制 OR 独立)" />
        </label>
        <label>
          {t.wfSources}
          <input value={sources} onChange={(e) => setSources(e.target.value)} name="sources" placeholder={t.wfSourcesHint} />
        </label>
        <fieldset className="types">
          <legend>{t.filterType}</legend>
          {Object.keys(t.type).map((ty) => (
            <label key={ty} className="check">
              <input
                type="checkbox"
                checked={types.includes(ty)}
                onChange={(e) => setTypes((cur) => (e.target.checked ? [...cur, ty] : cur.filter((x) => x !== ty)))}
              />
              {t.type[ty]}
            </label>
          ))}
        </fieldset>
        <label>
          {t.wfSchedule}
          <span className="inline">
            <select aria-label={t.wfSchedule} value={t.wfSchedulePresets.some(([v]) => v === schedule) ? schedule : 'custom'} onChange={(e) => e.target.value !== 'custom' && setSchedule(e.target.value)}>
              {t.wfSchedulePresets.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
              <option value="custom">cron…</option>
            </select>
            <input value={schedule} onChange={(e) => setSchedule(e.target.value)} name="schedule" placeholder="30 8 * * 1-5" />
          </span>
        </label>
        <label>
          {t.wfTz}
          <input value={tz} onChange={(e) => setTz(e.target.value)} name="tz" />
        </label>
        <label>
          {t.wfLang}
          <select value={lang} onChange={(e) => setLang(e.target.value as '' | 'en' | 'zh')} name="lang">
            <option value="">{t.wfLangAuto}</option>
            <option value="zh">中文</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>
          {t.wfMaxItems}
          <input type="number" min={1} max={5000} value={maxItems} onChange={(e) => setMaxItems(Number(e.target.value))} name="max_items" />
        </label>
        {!initial && (
          <label title={t.wfFirstRunDaysHint}>
            {t.wfFirstRunDays}
            <input type="number" min={0} max={3650} value={firstRunDays} onChange={(e) => setFirstRunDays(Number(e.target.value))} name="first_run_days" />
          </label>
        )}
        <label className="check">
          <input type="checkbox" checked={translate} onChange={(e) => setTranslate(e.target.checked)} name="translate" />
          {t.translateSwitch}
        </label>
        <label className="check">
          <input type="checkbox" checked={summarize} onChange={(e) => setSummarize(e.target.checked)} name="summarize" />
          {t.wfSummarize}
        </label>
        <label className="check">
          <input type="checkbox" checked={brief} onChange={(e) => setBrief(e.target.checked)} name="brief" />
          {t.wfBrief}
        </label>
        <label>
          {t.wfWebhook}
          <input value={webhook} onChange={(e) => setWebhook(e.target.value)} name="webhook" placeholder="https://example.com/hooks/lodestone" />
        </label>
        {error && (
          <p className="error" role="alert">
            {t.reason(error)}
          </p>
        )}
        <div className="buttons">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? t.wfSaving : t.wfSave}
          </button>
          <button type="button" onClick={onCancel}>
            {t.wfCancel}
          </button>
        </div>
      </div>
      <section className="preview" aria-live="polite" aria-label="preview">
        {previewError ? (
          <p className="error">{previewError}</p>
        ) : preview ? (
          <>
            <p className="count-line">{t.wfPreview(num(preview.total))}</p>
            {preview.translations.length > 0 && (
              <p className="translations">
                {t.alsoSearchedAs}{' '}
                {preview.translations.map((g) => `${g.source} → ${g.targets.map((x) => x.text).join(' · ')}`).join(t.listSeparator)}
              </p>
            )}
            <ol className="preview-list">
              {preview.hits.slice(0, 8).map((h) => (
                <li key={`${h.id}-${h.source}`}>
                  <span className="preview-title">{h.display_title}</span>
                  <SourceTime source={h.source} iso={h.published_at} />
                </li>
              ))}
            </ol>
          </>
        ) : (
          <p className="hint">{t.wfPreviewEmpty}</p>
        )}
      </section>
    </form>
  );
}

export function WorkflowPage({ name, runId }: { name: string; runId: number | null }) {
  const { t, dateTime, lang } = useI18n();
  const [, navigate] = useLocation();
  const [wf, setWf] = useState<Workflow | null>(null);
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [deliveries, setDeliveries] = useState<DeliveryRow[]>([]);
  const [digest, setDigest] = useState<Digest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [running, setRunning] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(() => {
    const s = sessionStorage.getItem(secretKey(name));
    sessionStorage.removeItem(secretKey(name));
    return s;
  });

  const load = useCallback(async () => {
    try {
      const [w, r, d] = await Promise.all([api.workflow(name), api.runs(name), api.deliveries(name)]);
      setWf(w);
      setRuns(r.runs);
      setDeliveries(d.deliveries);
      const shown = runId ?? r.runs.find((x) => x.status === 'done' || x.status === 'failed')?.run_id ?? null;
      setDigest(shown !== null ? await api.digest(name, shown) : null);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [name, runId]);
  useEffect(() => {
    void load();
  }, [load]);
  // While a run is in progress, follow it.
  const inProgress = digest?.status === 'running' || runs[0]?.status === 'running';
  useEffect(() => {
    if (!inProgress) return;
    const timer = setInterval(() => void load(), 1500);
    return () => clearInterval(timer);
  }, [inProgress, load]);

  const runNow = async () => {
    setRunning(true);
    setNotice(null);
    try {
      const r = await api.runWorkflow(name);
      // A run in progress or done shows in its digest and the history, which follow it; a
      // banner only says what they cannot (a skipped run and why, a failure), so no
      // "running" banner outlives its run.
      if (r.outcome === 'skipped' || r.outcome === 'failed') setNotice(`${t.wfOutcome[r.outcome] ?? r.outcome}${r.reason ? ` — ${t.reason(r.reason)}` : ''}`);
      if (r.run_id !== null && r.outcome !== 'skipped') navigate(workflowLinks.run(name, r.run_id));
      await load();
    } catch (e) {
      setNotice(errorText(e));
    } finally {
      setRunning(false);
    }
  };

  const togglePause = async () => {
    if (!wf) return;
    setWf(await api.updateWorkflow(name, { paused: !wf.paused }));
  };

  const rotate = async () => {
    if (!window.confirm(t.wfRotateConfirm)) return;
    try {
      setSecret((await api.rotateSecret(name)).webhook?.secret ?? null);
    } catch (e) {
      setNotice(errorText(e));
    }
  };

  const remove = async () => {
    if (!window.confirm(t.wfConfirmDelete(name))) return;
    await api.deleteWorkflow(name);
    navigate('/workflows');
  };

  if (error) {
    return (
      <p className="error" role="alert">
        {t.reason(error)}
      </p>
    );
  }
  if (!wf) return <p className="hint">{t.loading}</p>;
  return (
    <div className="workflow-page">
      <div className="page-head">
        <h1>
          {wf.name} {wf.paused && <span className="badge">{t.wfPaused}</span>}
        </h1>
        <div className="buttons">
          <button type="button" className="primary" onClick={runNow} disabled={running}>
            {running ? t.wfRunning : t.wfRunNow}
          </button>
          <button type="button" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
            {t.wfEdit}
          </button>
          <button type="button" onClick={togglePause}>
            {wf.paused ? t.wfResume : t.wfPause}
          </button>
          <button type="button" className="danger" onClick={remove}>
            {t.wfDelete}
          </button>
        </div>
      </div>
      <p className="meta">
        <code>{wf.query}</code>
        {wf.filters.source?.length ? ` · ${t.filterSource}: ${wf.filters.source.join(', ')}` : ''}
        {wf.filters.type?.length ? ` · ${t.filterType}: ${wf.filters.type.map((x) => t.type[x] ?? x).join(', ')}` : ''} ·{' '}
        {wf.schedule ? <span title={wf.schedule}>{scheduleWords(wf.schedule, wf.tz, lang)}</span> : t.wfManual}
        {wf.next_run_at && ` · ${t.wfNextRun}: ${dateTime(wf.next_run_at)}`} · <a href={workflowLinks.atom(wf.name)}>{t.wfAtom}</a>
      </p>
      {notice && (
        <p className="notice" role="status">
          {t.reason(notice)}
        </p>
      )}
      {secret && (
        <p className="notice secret" role="status">
          {t.wfSecret} <code>{secret}</code>
        </p>
      )}
      {editing && (
        <WorkflowEditor
          initial={wf}
          onCancel={() => setEditing(false)}
          onSaved={(w) => {
            setEditing(false);
            if (w.webhook?.secret) setSecret(w.webhook.secret);
            if (w.name !== name) navigate(workflowLinks.page(w.name));
            else void load();
          }}
        />
      )}
      <div className="workflow-layout">
        <section className="digest" aria-label="digest">
          {digest ? <DigestView name={wf.name} digest={digest} /> : <p className="empty">{t.wfNoRuns}</p>}
        </section>
        <aside className="workflow-side">
          <h2>{t.wfHistory}</h2>
          <ol className="run-list">
            {runs.map((r) => (
              <li key={r.run_id} className={digest?.run_id === r.run_id ? 'current' : ''}>
                <Link href={workflowLinks.run(wf.name, r.run_id)}>{t.wfRun(r.number)}</Link>{' '}
                <span className={`status status-${r.status}`}>{t.wfOutcome[r.status]}</span>
                <span className="meta">
                  {' '}
                  {dateTime(r.started_at)} · {t.wfTrigger[r.trigger]} · {t.wfItems(r.items)}
                </span>
                {r.reason && <span className="reason">{t.reason(r.reason)}</span>}
              </li>
            ))}
          </ol>
          {wf.webhook && (
            <>
              <h2>{t.wfDeliveries}</h2>
              <button type="button" className="link-button" onClick={rotate}>
                {t.wfRotate}
              </button>
              {deliveries.length === 0 && <p className="hint">{t.wfNoDeliveries}</p>}
              <ol className="delivery-list">
                {deliveries.map((d) => (
                  <li key={d.id}>
                    <span className={`status status-${d.status}`}>{t.wfDelivery[d.status] ?? d.status}</span> {t.wfRun(runs.find((r) => r.run_id === d.run_id)?.number ?? d.run_id)} · {t.wfAttempts(d.attempts)}
                    {d.status !== 'delivered' && (
                      <button
                        type="button"
                        className="link-button"
                        onClick={async () => {
                          try {
                            await api.retryDelivery(name, d.id);
                          } catch (e) {
                            setNotice(errorText(e));
                          }
                          await load();
                        }}
                      >
                        {t.wfRetry}
                      </button>
                    )}
                    {d.last_error && <span className="reason">{t.reason(d.last_error)}</span>}
                  </li>
                ))}
              </ol>
            </>
          )}
        </aside>
      </div>
    </div>
  );
}

function DigestView({ name, digest }: { name: string; digest: Digest }) {
  const { t, dateTime } = useI18n();
  // Narrow this run's items by words in their title, text, summary or outlet (the seeds have this box).
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return digest.items;
    return digest.items.filter((it) => {
      const text = [it.display_title, it.title, it.source, it.excerpt, it.summary?.text ?? '', ...(it.cluster?.also_in.map((a) => a.source) ?? [])].join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }, [digest.items, filter]);
  return (
    <>
      <p className="count-line">
        {t.wfRun(digest.run_number)} · {dateTime(digest.finished_at ?? digest.started_at)} · {t.wfOutcome[digest.status]} ·{' '}
        {t.wfItems(digest.items.length)}
        {digest.repeats.length > 0 && ` · ${t.wfRepeats(digest.repeats.length)}`} ·{' '}
        <a href={workflowLinks.markdown(name, digest.run_id)}>{t.wfMarkdown}</a> · <a href={workflowLinks.html(name, digest.run_id)}>{t.wfHtml}</a>
      </p>
      {digest.status === 'failed' && digest.reason && (
        <p className="error" role="alert">
          {t.reason(digest.reason)}
        </p>
      )}
      {digest.capped > 0 && <p className="notice">{t.wfCapped(digest.capped)}</p>}
      {digest.brief && (
        <div className="brief">
          <h2>{t.wfBriefTitle}</h2>
          <p className="summary-method">
            {digest.brief.method === 'llm' ? (digest.brief.model ?? '') : t.extractive}
            {digest.brief.fallback && ` (${digest.brief.fallback})`}
          </p>
          {digest.brief.themes.map((th) => (
            <div key={th.heading} className="summary-section">
              <span className="summary-heading">{th.heading}</span>
              {th.points.map((p) => (
                <span key={p.text} className={`point${p.verified ? '' : ' unverified'}`}>
                  {' – '}
                  {p.text}
                  {p.citations.map((c) => (
                    <Link key={`${c.doc}-${c.paragraph}`} href={`/documents/${encodeURIComponent(c.id)}#p${c.paragraph}`} className="cite">
                      {t.briefCite(c.doc, c.paragraph)}
                    </Link>
                  ))}
                </span>
              ))}
            </div>
          ))}
        </div>
      )}
      {digest.items.length === 0 && <p className="empty">{t.wfNoItems}</p>}
      {digest.items.length > 1 && (
        <input
          type="search"
          className="digest-filter"
          aria-label={t.wfFilterItems}
          placeholder={t.wfFilterItems}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      {shown.length === 0 && digest.items.length > 0 && <p className="empty">{t.wfNoneMatch}</p>}
      <ol className="result-list digest-list">
        {shown.map((it) => (
          <DigestRow key={`${it.id}-${it.source}`} it={it} />
        ))}
      </ol>
      {digest.repeats.length > 0 && (
        <div className="repeats">
          <h3>{t.wfRepeatedTitle}</h3>
          <ul>
            {digest.repeats.map((r) => (
              <li key={`${r.id}-${r.source}`}>
                <Link href={`/documents/${encodeURIComponent(r.id)}`}>{r.title || r.id}</Link> <SourceTime source={r.source} iso={r.published_at} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

function DigestRow({ it }: { it: DigestEntry }) {
  const { t } = useI18n();
  const href = `/documents/${encodeURIComponent(it.id)}`;
  return (
    <li className="result">
      <div className="result-head">
        <span className="digest-n">{it.n}</span>
        <Link href={href} className="result-title">
          {it.display_title}
        </Link>
      </div>
      <div className="meta">
        <SourceTime source={it.source} iso={it.published_at} />
      </div>
      {it.summary && it.summary.sections.length > 0 ? (
        <SummaryBlock summary={it.summary} docHref={href} compact />
      ) : (
        <p className="snippet">{it.excerpt}</p>
      )}
      {it.cluster && it.cluster.also_in.length > 0 && (
        <p className="also">
          {t.wfAlsoIn}: {it.cluster.also_in.map((a) => a.source).join(', ')}
        </p>
      )}
    </li>
  );
}
