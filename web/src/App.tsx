import { useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { api } from './api.js';
import { TIME_ZONES, useI18n } from './i18n.js';
import { DocumentPage } from './pages/DocumentPage.js';
import { SearchPage } from './pages/SearchPage.js';
import { SourcesPage } from './pages/SourcesPage.js';
import { WorkflowPage, WorkflowsPage } from './pages/WorkflowsPage.js';

export function App() {
  const { t, lang, setLang, tz, setTz } = useI18n();
  // Every date on every page is shown in this zone, and the header says which.
  const browserTz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = [...new Set([tz, ...TIME_ZONES, browserTz])];
  const [location] = useLocation();
  // A server listening beyond this machine with no sign-in says so on every page.
  const [exposed, setExposed] = useState(false);
  useEffect(() => {
    api
      .server()
      .then((s) => setExposed(s.exposed))
      .catch(() => {});
  }, []);
  return (
    <div className="app">
      {exposed && (
        <p className="exposed-warning" role="alert">
          {t.exposedWarning}
        </p>
      )}
      <header className="topbar">
        <Link href="/search" className="brand">
          {t.appName}
        </Link>
        <nav aria-label="main">
          <Link href="/search" className={location.startsWith('/search') || location === '/' ? 'active' : ''}>
            {t.navSearch}
          </Link>
          <Link href="/workflows" className={location.startsWith('/workflows') ? 'active' : ''}>
            {t.navWorkflows}
          </Link>
          <Link href="/sources" className={location.startsWith('/sources') ? 'active' : ''}>
            {t.navSources}
          </Link>
        </nav>
        <label className="tz-switch">
          <span className="sr-only">{t.timeZoneLabel}</span>
          <select value={tz} onChange={(e) => setTz(e.target.value)} aria-label={t.timeZoneLabel} title={t.timeZoneLabel}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="lang-switch"
          aria-label={t.languageLabel}
          onClick={() => setLang(lang === 'en' ? 'zh' : 'en')}
        >
          {t.language}
        </button>
      </header>
      <main>
        <Switch>
          <Route path="/documents/:id">{(p) => <DocumentPage id={decodeURIComponent(p.id)} />}</Route>
          <Route path="/sources" component={SourcesPage} />
          <Route path="/workflows" component={WorkflowsPage} />
          <Route path="/workflows/:name/runs/:run">
            {(p) => <WorkflowPage name={decodeURIComponent(p.name)} runId={Number(p.run)} />}
          </Route>
          <Route path="/workflows/:name">{(p) => <WorkflowPage name={decodeURIComponent(p.name)} runId={null} />}</Route>
          <Route component={SearchPage} />
        </Switch>
      </main>
    </div>
  );
}
