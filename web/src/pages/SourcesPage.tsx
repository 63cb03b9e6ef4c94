/**
 * Sources: add a feed or page URL, upload files (drag and drop, several at once, progress
 * per file), paste text; the list of sources with counts, last fetch and errors; delete a
 * source with its documents after confirmation.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type IngestOutcome, type SourceRow, uploadFile } from '../api.js';
import { useI18n } from '../i18n.js';

interface UploadRow {
  key: number;
  name: string;
  progress: number;
  outcome: IngestOutcome | null;
  error: string | null;
}

export function SourcesPage() {
  const { t, num, dateTime } = useI18n();
  const [rows, setRows] = useState<SourceRow[] | null>(null);
  const [url, setUrl] = useState('');
  const [urlSource, setUrlSource] = useState('');
  const [urlSchedule, setUrlSchedule] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [uploads, setUploads] = useState<UploadRow[]>([]);
  const [drag, setDrag] = useState(false);
  const [pasteTitle, setPasteTitle] = useState('');
  const [pasteBody, setPasteBody] = useState('');
  const [pasteSource, setPasteSource] = useState('notes');
  const fileInput = useRef<HTMLInputElement>(null);

  const load = useCallback(() => api.sources().then((r) => setRows(r.sources)), []);
  const refresh = useCallback(() => {
    load().catch((e: Error) => setMessage({ text: e.message, error: true }));
  }, [load]);
  useEffect(refresh, [refresh]);

  const report = (o: IngestOutcome) => {
    const base = t.addedReport(o.inserted, o.updated, o.unchanged, o.failed);
    const first = o.errors[0];
    return first ? `${base} — ${first.location}: ${t.reason(first.reason)}` : base;
  };

  const addUrl = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const o = await api.addUrl(url.trim(), urlSource.trim() || undefined, urlSchedule.trim() || undefined);
      setMessage({ text: report(o), error: o.failed > 0 && o.inserted + o.updated + o.unchanged === 0 });
      setUrl('');
      setUrlSchedule('');
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const upload = async (files: File[]) => {
    const start = uploads.length;
    setUploads((u) => [...u, ...files.map((f, i) => ({ key: start + i, name: f.name, progress: 0, outcome: null, error: null }))]);
    const update = (i: number, patch: Partial<UploadRow>) =>
      setUploads((u) => u.map((row, j) => (j === start + i ? { ...row, ...patch } : row)));
    await Promise.all(
      files.map(async (f, i) => {
        try {
          const outcome = await uploadFile(f, (p) => update(i, { progress: p }));
          update(i, { progress: 1, outcome });
        } catch (e) {
          update(i, { error: (e as Error).message });
        }
      }),
    );
    refresh();
  };

  const paste = async () => {
    setBusy(true);
    try {
      const o = await api.addText(pasteTitle.trim(), pasteBody, pasteSource.trim() || 'notes');
      setMessage({ text: report(o), error: o.failed > 0 });
      if (o.failed === 0) {
        setPasteTitle('');
        setPasteBody('');
      }
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const remove = async (row: SourceRow) => {
    if (!window.confirm(t.confirmDelete(row.name, num(row.documents)))) return;
    let outcome: { text: string; error: boolean };
    try {
      const r = await api.deleteSource(row.name);
      outcome = { text: t.deleted(r.deleted), error: false };
    } catch (e) {
      outcome = { text: (e as Error).message, error: true };
    }
    // The list as it now is first, then the message: whoever reads "Deleted" sees the list
    // without the source (the list used to arrive after the message).
    await load().catch(() => undefined);
    setMessage(outcome);
  };

  return (
    <div className="sources-page">
      <h1>{t.sourcesTitle}</h1>
      {message && (
        <p className={message.error ? 'error' : 'notice'} role={message.error ? 'alert' : 'status'}>
          {t.reason(message.text)}
        </p>
      )}
      <section className="card">
        <h2>{t.addUrl}</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) void addUrl();
          }}
        >
          <input
            type="url"
            required
            aria-label={t.addUrl}
            placeholder={t.urlPlaceholder}
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
          <input aria-label={t.sourceName} placeholder={t.sourceName} value={urlSource} onChange={(e) => setUrlSource(e.target.value)} />
          <input
            aria-label={t.pollSchedule}
            placeholder={t.pollSchedule}
            title={t.pollScheduleHint}
            value={urlSchedule}
            onChange={(e) => setUrlSchedule(e.target.value)}
            name="schedule"
          />
          <button type="submit" disabled={busy}>
            {busy ? t.adding : t.add}
          </button>
        </form>
      </section>

      <section className="card">
        <h2>{t.uploadTitle}</h2>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target, not a control; the button inside is the keyboard path */}
        <div
          className={`dropzone${drag ? ' drag' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDrag(true);
          }}
          onDragLeave={() => setDrag(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDrag(false);
            void upload([...e.dataTransfer.files]);
          }}
        >
          {t.dropHint}{' '}
          <button type="button" className="link-button" onClick={() => fileInput.current?.click()}>
            {t.chooseFiles}
          </button>
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            aria-label={t.chooseFiles}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              e.target.value = '';
              if (files.length > 0) void upload(files);
            }}
          />
        </div>
        {uploads.length > 0 && (
          <ul className="uploads">
            {uploads.map((u) => (
              <li key={u.key}>
                <span className="file">{u.name}</span>
                <progress max={1} value={u.progress} aria-label={u.name} />
                <span className={u.error ? 'error' : ''}>
                  {(u.error && t.reason(u.error)) ?? (u.outcome ? report(u.outcome) : `${Math.round(u.progress * 100)}%`)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card">
        <h2>{t.pasteTitle}</h2>
        <form
          className="paste"
          onSubmit={(e) => {
            e.preventDefault();
            if (pasteBody.trim()) void paste();
          }}
        >
          <input aria-label={t.pasteTitlePlaceholder} placeholder={t.pasteTitlePlaceholder} value={pasteTitle} onChange={(e) => setPasteTitle(e.target.value)} />
          <textarea aria-label={t.pasteBodyPlaceholder} placeholder={t.pasteBodyPlaceholder} rows={6} value={pasteBody} onChange={(e) => setPasteBody(e.target.value)} />
          <div className="row">
            <label>
              {t.pasteSource} <input value={pasteSource} onChange={(e) => setPasteSource(e.target.value)} />
            </label>
            <button type="submit" disabled={busy || pasteBody.trim() === ''}>
              {t.save}
            </button>
          </div>
        </form>
      </section>

      <section className="card">
        <h2>{t.sourcesList}</h2>
        {rows === null ? (
          <p>{t.loading}</p>
        ) : (
          <div className="table-scroll">
            <table className="sources">
              <thead>
                <tr>
                  <th scope="col">{t.colName}</th>
                  <th scope="col">{t.colDocs}</th>
                  <th scope="col">{t.colLast}</th>
                  <th scope="col">{t.colFetch}</th>
                  <th scope="col">{t.colError}</th>
                  <th scope="col">
                    <span className="sr-only">{t.delete}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.name}>
                    <td>
                      {r.name}
                      {r.url && r.url !== r.name && <div className="url">{r.url}</div>}
                    </td>
                    <td className="num">{num(r.documents)}</td>
                    <td>{r.last_ingested_at ? dateTime(r.last_ingested_at) : t.none}</td>
                    <td>{r.last_fetch_at ? dateTime(r.last_fetch_at) : t.none}</td>
                    <td className={r.last_error ? 'error' : ''}>
                      {r.last_error ? t.reason(r.last_error) : t.none}
                      {r.last_error && r.next_poll_at && <span className="reason">{t.retryAt(dateTime(r.next_poll_at), r.failures)}</span>}
                    </td>
                    <td>
                      <button type="button" className="danger" onClick={() => void remove(r)}>
                        {t.delete}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
