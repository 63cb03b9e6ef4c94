// The plain search page. Every piece of document text is inserted with textContent or
// text nodes, never as HTML: titles and bodies come from the internet.
const main = document.getElementById('main');
const form = document.getElementById('search-form');
const qInput = document.getElementById('q');
const sortSel = document.getElementById('sort');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function marked(text, ranges) {
  const frag = document.createDocumentFragment();
  let pos = 0;
  for (const [a, b] of ranges || []) {
    frag.append(document.createTextNode(text.slice(pos, a)), el('mark', {}, text.slice(a, b)));
    pos = b;
  }
  frag.append(document.createTextNode(text.slice(pos)));
  return frag;
}

function when(iso) {
  if (!iso) return 'undated';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function safeHref(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

async function api(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
  return body;
}

function emptyState() {
  main.replaceChildren(
    el('div', { class: 'empty' },
      el('h1', {}, 'No documents yet'),
      el('p', {}, 'Add sources from a terminal in this folder:'),
      el('p', {}, el('code', {}, 'npx lodestone ingest ~/exports/news.ndjson ~/reports/ https://example.com/feed.xml')),
      el('p', {}, 'Folders of .txt, .md, .html, .pdf and .docx files, NDJSON exports (plain or .gz), RSS/Atom feeds and web pages are supported. Or POST JSON to /api/documents; the API is described at /api/openapi.json.'),
    ),
  );
}

async function runSearch(push = true) {
  const q = qInput.value.trim();
  const sort = sortSel.value;
  const params = new URLSearchParams({ q, sort, limit: '20' });
  if (push) history.pushState({}, '', `/search?${params}`);
  main.replaceChildren(el('p', { class: 'meta' }, 'Searching…'));
  try {
    const [stats, res] = await Promise.all([api('/healthz'), api(`/api/search?${params}`)]);
    if (stats.documents === 0) return emptyState();
    const list = el('div');
    const facets = el('div', { class: 'facets' });
    for (const [name, items] of Object.entries(res.facets || {})) {
      if (!items.length) continue;
      facets.append(el('span', {}, `${name}: ${items.slice(0, 5).map((f) => `${f.value} (${f.count})`).join(', ')}`));
    }
    for (const h of res.hits) {
      const title = el('a', { href: `/documents/${encodeURIComponent(h.id)}?q=${encodeURIComponent(q)}#p${h.paragraph}` });
      title.append(marked(h.display_title || '(untitled)', h.title_highlights));
      const item = el('article', { class: 'hit' },
        el('h2', {}, title),
        el('div', { class: 'meta' }, el('span', { class: 'badge' }, h.type), `${h.source} · ${when(h.published_at)}`),
      );
      const snip = el('p', { class: 'snippet' });
      snip.append(marked(h.snippet, h.highlights));
      item.append(snip);
      if (h.cluster?.others.length) {
        item.append(el('div', { class: 'also' }, `Also in ${h.cluster.others.length}: ${h.cluster.others.map((o) => `${o.source} · ${when(o.published_at)}`).join('; ')}`));
      }
      list.append(item);
    }
    main.replaceChildren(el('p', { class: 'meta' }, `${res.total.toLocaleString()} results · ${res.took_ms} ms`), facets, list);
  } catch (err) {
    main.replaceChildren(el('p', { class: 'error' }, String(err.message || err)));
  }
}

async function showDocument(id) {
  try {
    const d = await api(`/api/documents/${encodeURIComponent(id)}`);
    const q = new URLSearchParams(location.search).get('q') || '';
    if (q) qInput.value = q;
    const head = el('div', {}, el('h1', {}, d.title || '(untitled)'),
      el('div', { class: 'meta' }, el('span', { class: 'badge' }, d.type), `${d.source} · ${when(d.published_at)} · ${d.lang}`));
    const href = d.url && safeHref(d.url);
    if (href) head.append(el('p', {}, el('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, 'Original')));
    const ol = el('ol', { class: 'paras' });
    for (const p of d.paragraphs) ol.append(el('li', { id: `p${p.n}`, value: String(p.n) }, p.text));
    const parts = [head, ol];
    if (d.cluster) {
      const ul = el('ul');
      for (const m of d.cluster.members) if (m.id !== d.id) ul.append(el('li', {}, `${m.source} · ${when(m.published_at)} · `, el('a', { href: `/documents/${encodeURIComponent(m.id)}` }, m.title || m.id)));
      parts.push(el('h2', {}, 'Also published by'), ul);
    }
    main.replaceChildren(...parts);
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (err) {
    main.replaceChildren(el('p', { class: 'error' }, String(err.message || err)));
  }
}

function route() {
  const m = /^\/documents\/(.+)$/.exec(location.pathname);
  if (m) return showDocument(decodeURIComponent(m[1]));
  const params = new URLSearchParams(location.search);
  qInput.value = params.get('q') || '';
  sortSel.value = params.get('sort') === 'newest' ? 'newest' : 'relevance';
  return runSearch(false);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  runSearch(true);
});
sortSel.addEventListener('change', () => runSearch(true));
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && document.activeElement !== qInput) {
    e.preventDefault();
    qInput.focus();
  }
});
window.addEventListener('popstate', route);
route();
