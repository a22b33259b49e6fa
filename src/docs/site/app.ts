// The docs site's browser entry point (bundled by scripts/build-site.mjs into dist/docs/site/app.js). It reads only
// window.EIDER_DOCS (data.js) and makes no network request. Routes: #!/overview, #!/<resource type>/<unique_id>
// (optionally ?column=<name>, which marks that column).
import { buildChart, formatCount, formatMs } from './chart.js';
import { h } from './dom.js';
import { markdown } from './markdown.js';
import { mountLineage } from './graph.js';
import { mountSearch } from './search.js';
import { highlightSql } from './sql.js';
import type { ColumnLineageEntry, DocsCode, DocsData, DocsNode } from './types.js';

declare global {
  interface Window {
    EIDER_DOCS?: DocsData;
    EIDER_CODE?: (chunk: number, code: Record<string, DocsCode>) => void;
  }
}

const data = window.EIDER_DOCS;
const byId = new Map<string, DocsNode>();
const usedBy = new Map<string, string[]>();
const testsOf = new Map<string, DocsNode[]>();
/** Each folder's fill (its children are made when it first opens), by `kind/folder/…`. */
const folderFills = new Map<string, () => void>();

const KIND_LABEL: Readonly<Record<string, string>> = { model: 'Models', seed: 'Seeds', source: 'Sources', snapshot: 'Snapshots', test: 'Tests', unit_test: 'Unit tests' };

function start(d: DocsData): void {
  for (const n of d.nodes) byId.set(n.unique_id, n);
  for (const n of d.nodes) {
    for (const p of n.depends_on) listIn(usedBy, p).push(n.unique_id);
    if (n.test?.attached_node) listIn(testsOf, n.test.attached_node).push(n);
  }
  document.title = `${d.project.name} · eider docs`;
  const header = h('header', {}, h('a', { href: '#!/overview', class: 'brand' }, d.project.name), h('span', { class: 'muted' }, ` · eider docs · target ${d.project.target}`));
  const search = h('div', { class: 'search' });
  header.append(search);
  const nav = h('nav', { id: 'sidebar', 'aria-label': 'Project' });
  const main = h('main', { id: 'page' });
  document.body.replaceChildren(header, h('div', { class: 'layout' }, nav, main));
  mountSearch(search, d.nodes, nodeHref, (n) => (location.hash = nodeHref(n)));
  nav.append(sidebar(d.nodes));
  const route = () => {
    const { id, column } = parseHash(location.hash);
    const node = id ? byId.get(id) : undefined;
    main.replaceChildren(node ? nodePage(d, node) : overviewPage(d));
    for (const a of Array.from(nav.querySelectorAll('a.current'))) a.classList.remove('current');
    if (node) revealInSidebar(nav, node);
    if (column) {
      const row = main.querySelector<HTMLElement>(`tr[data-column="${CSS.escape(column.toLowerCase())}"]`);
      row?.classList.add('marked');
      row?.scrollIntoView({ block: 'center' });
    } else window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', route);
  route();
}

function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  if (!map.has(key)) map.set(key, []);
  return map.get(key)!;
}

function nodeHref(n: Pick<DocsNode, 'resource_type' | 'unique_id'>, column?: string): string {
  return `#!/${n.resource_type}/${encodeURIComponent(n.unique_id)}${column ? `?column=${encodeURIComponent(column)}` : ''}`;
}

function parseHash(hash: string): { id?: string; column?: string } {
  const m = /^#!\/[a-z_]+\/([^?]+)(?:\?column=(.*))?$/.exec(hash);
  if (!m) return {};
  try {
    return { id: decodeURIComponent(m[1]), column: m[2] ? decodeURIComponent(m[2]) : undefined };
  } catch {
    return {};
  }
}

/** A link to a node's page (its name as text), or its id as text when the site does not hold it. */
function nodeLink(id: string, column?: string): Node {
  const n = byId.get(id);
  if (!n) return h('span', { class: 'muted' }, id);
  return h('a', { href: nodeHref(n, column) }, h('span', { class: `badge ${n.resource_type}` }, n.resource_type), ' ', n.name, column ? h('span', { class: 'col' }, `.${column}`) : null);
}

/** Opens the sidebar's folders down to the node and marks its link. */
function revealInSidebar(nav: HTMLElement, n: DocsNode): void {
  let path: string = n.resource_type;
  folderFills.get(path)?.();
  for (const part of folderPath(n)) folderFills.get((path = `${path}/${part}`))?.();
  const link = nav.querySelector(`a[data-id="${CSS.escape(n.unique_id)}"]`);
  link?.classList.add('current');
  link?.scrollIntoView({ block: 'nearest' });
}

// ---- sidebar: resource types, then folders (models, seeds, snapshots) or source names; folders fill in when opened.

interface Folder {
  readonly folders: Map<string, Folder>;
  readonly nodes: DocsNode[];
}

function sidebar(nodes: readonly DocsNode[]): Node {
  const out = document.createDocumentFragment();
  for (const kind of Object.keys(KIND_LABEL)) {
    const list = nodes.filter((n) => n.resource_type === kind).sort((a, b) => a.name.localeCompare(b.name));
    if (!list.length) continue;
    const root: Folder = { folders: new Map(), nodes: [] };
    for (const n of list) {
      const path = folderPath(n);
      let f = root;
      for (const part of path) {
        if (!f.folders.has(part)) f.folders.set(part, { folders: new Map(), nodes: [] });
        f = f.folders.get(part)!;
      }
      f.nodes.push(n);
    }
    out.append(folderDetails(`${KIND_LABEL[kind]} (${list.length})`, root, kind === 'model', kind));
  }
  return out;
}

/** A node's folders in the sidebar, under its resource type: source name, or folders below models/ (seeds/, snapshots/). */
function folderPath(n: DocsNode): string[] {
  if (n.resource_type === 'source') return [n.name.split('.')[0]];
  return n.resource_type === 'test' || n.resource_type === 'unit_test' ? [] : n.original_file_path.split('/').slice(1, -1);
}

function folderDetails(label: string, f: Folder, open: boolean, path: string): HTMLElement {
  const details = h('details', { class: 'folder', 'data-path': path }, h('summary', {}, label));
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    const ul = h('ul');
    for (const [name, sub] of [...f.folders].sort(([a], [b]) => a.localeCompare(b))) ul.append(h('li', {}, folderDetails(name, sub, false, `${path}/${name}`)));
    for (const n of f.nodes) ul.append(h('li', {}, h('a', { href: nodeHref(n), 'data-id': n.unique_id, title: n.original_file_path }, n.resource_type === 'source' ? n.name.split('.').slice(1).join('.') : n.name)));
    details.append(ul);
  };
  details.addEventListener('toggle', fill);
  folderFills.set(path, () => {
    fill();
    details.open = true;
  });
  if (open) {
    details.open = true;
    fill();
  }
  return details;
}

// ---- pages

function overviewPage(d: DocsData): Node {
  const page = h('article', { class: 'overview' });
  if (d.project.overview) page.append(h('div', { class: 'markdown', id: 'overview' }, markdown(d.project.overview)));
  else page.append(h('h1', {}, d.project.name));
  for (const note of d.notes) page.append(h('p', { class: 'note' }, note));
  const layers = new Map<string, number>();
  for (const n of d.nodes) layers.set(n.layer, (layers.get(n.layer) ?? 0) + 1);
  page.append(
    h('h2', {}, 'Layers'),
    h('table', { class: 'counts', id: 'layers' }, h('thead', {}, h('tr', {}, h('th', {}, 'Layer'), h('th', {}, 'Nodes'))), h('tbody', {}, ...[...layers].map(([layer, count]) => h('tr', {}, h('td', {}, layer), h('td', { class: 'num' }, formatCount(count)))))),
  );
  if (d.releases.length) {
    page.append(
      h('h2', {}, 'Recent builds'),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Release'), h('th', {}, 'Command'), h('th', {}, 'Status'), h('th', {}, 'Started'))), h('tbody', {}, ...d.releases.map((r) => h('tr', {}, h('td', { class: 'mono' }, r.release_id), h('td', {}, r.command), h('td', {}, status(r.status)), h('td', {}, r.started_at))))),
    );
  }
  page.append(lineagePanel());
  return page;
}

function nodePage(d: DocsData, n: DocsNode): Node {
  const page = h('article', { class: 'node', 'data-id': n.unique_id });
  const materialized = n.config.materialized;
  page.append(
    h('h1', {}, h('span', { class: `badge ${n.resource_type}` }, n.resource_type), ' ', n.name),
    h('p', { class: 'meta' }, n.relation ? h('span', { class: 'mono' }, n.relation) : null, typeof materialized === 'string' ? ` · ${materialized}` : null, n.stats?.row_count != null ? ` · ${formatCount(n.stats.row_count)} rows` : null, n.stats?.bytes != null ? ` · ${bytes(n.stats.bytes)}` : null, ...n.tags.map((t) => h('span', { class: 'tag' }, t))),
    h('p', { class: 'path' }, 'File: ', h('code', { id: 'file-path' }, n.original_file_path)),
  );
  const tabs: Array<[string, () => Node]> = [['Details', () => details(d, n)]];
  if (n.code_chunk !== null) tabs.push(['Code', () => code(n)]);
  tabs.push(['Lineage', lineagePanel]);
  page.append(tabbed(tabs));
  return page;
}

function details(d: DocsData, n: DocsNode): Node {
  const out = h('div');
  out.append(h('section', {}, h('h2', {}, 'Description'), n.description ? h('div', { class: 'markdown', id: 'description' }, markdown(n.description)) : h('p', { class: 'muted' }, 'No description.')));
  if (n.test) out.append(testSection(n));
  if (n.columns.length) out.append(columnsSection(n));
  const lineage = d.column_lineage[n.unique_id];
  if (lineage?.length) out.append(columnLineageSection(lineage));
  if (n.freshness) out.append(freshnessSection(n));
  if (n.resource_type !== 'test' && n.resource_type !== 'unit_test') out.append(historySection(n));
  const tests = (testsOf.get(n.unique_id) ?? []).filter((t) => !t.test?.column_name);
  if (tests.length) out.append(h('section', {}, h('h2', {}, 'Tests'), h('ul', { class: 'links' }, ...tests.map((t) => h('li', {}, nodeLink(t.unique_id), ' ', lastStatus(t))))));
  out.append(
    h('section', { class: 'deps' },
      h('div', {}, h('h2', {}, 'Depends on'), linkList(n.depends_on, 'depends-on')),
      h('div', {}, h('h2', {}, 'Used by'), linkList(usedBy.get(n.unique_id) ?? [], 'used-by')),
    ),
    h('section', {}, h('h2', {}, 'Config'), h('pre', { class: 'config' }, JSON.stringify(n.config, null, 2))),
  );
  return out;
}

function linkList(ids: readonly string[], id: string): Node {
  if (!ids.length) return h('p', { class: 'muted', id }, 'None');
  return h('ul', { class: 'links', id }, ...ids.map((i) => h('li', {}, nodeLink(i))));
}

function columnsSection(n: DocsNode): Node {
  const tests = testsOf.get(n.unique_id) ?? [];
  return h('section', {},
    h('h2', {}, 'Columns'),
    h('table', { class: 'columns', id: 'columns' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'), h('th', {}, 'Description'), h('th', {}, 'Tests'))),
      h('tbody', {}, ...n.columns.map((c) => {
        const own = tests.filter((t) => t.test?.column_name?.toLowerCase() === c.name.toLowerCase());
        return h('tr', { 'data-column': c.name.toLowerCase() },
          h('td', { class: 'mono' }, c.name),
          h('td', { class: 'mono type' }, c.data_type ?? ''),
          h('td', { class: 'markdown' }, c.description ? markdown(c.description) : ''),
          h('td', {}, ...own.map((t) => h('a', { href: nodeHref(t), class: `test status-${t.last_result?.status ?? 'none'}`, title: t.name }, t.test?.test_name ?? t.name, ' ', lastStatus(t)))),
        );
      })),
    ),
  );
}

function columnLineageSection(entries: readonly ColumnLineageEntry[]): Node {
  return h('section', {},
    h('h2', {}, 'Column lineage'),
    h('table', { class: 'column-lineage', id: 'column-lineage' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Computed from'))),
      h('tbody', {}, ...entries.map((e) =>
        h('tr', { 'data-lineage-column': e.column.toLowerCase() },
          h('td', { class: 'mono' }, e.column),
          h('td', {}, e.unknown !== undefined ? h('span', { class: 'unknown' }, `unknown (${e.unknown})`) : e.sources.length ? h('ul', { class: 'links' }, ...e.sources.map((src) => h('li', {}, nodeLink(src.node, src.column)))) : h('span', { class: 'muted' }, 'no upstream column (a constant or expression)')),
        ),
      )),
    ),
  );
}

function testSection(n: DocsNode): Node {
  const t = n.test!;
  return h('section', {},
    h('h2', {}, 'Test'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Tests'), h('dd', {}, t.attached_node ? nodeLink(t.attached_node, t.column_name ?? undefined) : '—'),
      h('dt', {}, 'Kind'), h('dd', {}, t.test_name),
      h('dt', {}, 'Severity'), h('dd', {}, t.severity),
      h('dt', {}, 'Last result'), h('dd', { id: 'last-result' }, ...(n.last_result ? [status(n.last_result.status), n.last_result.failures ? ` · ${formatCount(n.last_result.failures)} failing rows` : '', ` · ${n.last_result.at}`] : ['not run yet'])),
    ),
  );
}

function freshnessSection(n: DocsNode): Node {
  const f = n.freshness!;
  return h('section', {},
    h('h2', {}, 'Freshness'),
    h('dl', { class: 'facts', id: 'freshness' },
      h('dt', {}, 'Warn after'), h('dd', {}, f.warn_after ?? '—'),
      h('dt', {}, 'Error after'), h('dd', {}, f.error_after ?? '—'),
      h('dt', {}, 'Last check'), h('dd', {}, ...(f.last ? [status(f.last.status), ` · newest data ${f.last.max_loaded_at ?? 'unknown'}${f.last.age_s !== null ? ` (${ageText(f.last.age_s)} old)` : ''} · checked ${f.last.checked_at}`] : ['never checked (eider freshness)'])),
    ),
  );
}

function historySection(n: DocsNode): Node {
  const section = h('section', { id: 'history' }, h('h2', {}, 'Recent builds'));
  if (!n.runs.length) {
    section.append(h('p', { class: 'muted' }, 'No builds in the target\'s history yet.'));
    return section;
  }
  const last = n.runs[n.runs.length - 1];
  section.append(
    h('p', {}, `Last: `, status(last.status), ` · ${last.duration_ms !== null ? formatMs(last.duration_ms) : '—'}${last.rows !== null ? ` · ${formatCount(last.rows)} rows` : ''} · ${last.started_at}`),
    buildChart(n.runs),
  );
  return section;
}

function code(n: DocsNode): Node {
  const out = h('div', { class: 'code' }, h('p', { class: 'muted' }, 'Loading…'));
  loadCode(n.code_chunk!).then((chunk) => {
    const c = chunk[n.unique_id];
    out.replaceChildren();
    if (c?.compiled_code) out.append(h('section', {}, h('h2', {}, 'Compiled SQL'), h('pre', { class: 'sql', id: 'compiled-sql' }, h('code', {}, highlightSql(c.compiled_code)))));
    if (c?.raw_code) out.append(h('section', {}, h('h2', {}, 'Source'), h('pre', { class: 'sql', id: 'raw-code' }, h('code', {}, highlightSql(c.raw_code)))));
  }, () => out.replaceChildren(h('p', { class: 'note' }, `code/${n.code_chunk}.js could not be loaded`)));
  return out;
}

const codeChunks = new Map<number, Promise<Record<string, DocsCode>>>();
const codeWaiting = new Map<number, (code: Record<string, DocsCode>) => void>();
window.EIDER_CODE = (chunk, code) => codeWaiting.get(chunk)?.(code);

/** code/<n>.js, added as a script (pages from file:// cannot fetch): it hands its code to window.EIDER_CODE. */
function loadCode(k: number): Promise<Record<string, DocsCode>> {
  if (!codeChunks.has(k)) {
    codeChunks.set(k, new Promise((resolve, reject) => {
      codeWaiting.set(k, resolve);
      const script = h('script', { src: `code/${k}.js` });
      script.addEventListener('error', () => {
        codeChunks.delete(k);
        reject(new Error(`code/${k}.js`));
      });
      document.head.append(script);
    }));
  }
  return codeChunks.get(k)!;
}

/** The lineage graph's place: a page's "Lineage" tab and the overview hold a `<div id="lineage">`. */
function lineagePanel(): Node {
  const el = h('div', { id: 'lineage', class: 'lineage' });
  mountLineagePanel(el, parseHash(location.hash).id);
  return h('section', {}, h('h2', {}, 'Lineage'), el);
}

/** The one call site of the lineage graph (src/docs/site/graph.ts): a node's page focuses it; the overview shows the grouped project. */
let shownGraph: { destroy(): void } | undefined;
function mountLineagePanel(el: HTMLElement, focus: string | undefined): void {
  shownGraph?.destroy();
  if (!data) return;
  shownGraph = mountLineage(el, data.graph, {
    focus: focus && byId.has(focus) ? focus : undefined,
    onOpen: (id) => {
      const node = byId.get(id);
      if (node) location.hash = nodeHref(node);
    },
    columnLineage: data.column_lineage,
  });
}

function tabbed(tabs: ReadonlyArray<[string, () => Node]>): Node {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('div', { class: 'tab-body' });
  const show = (i: number) => {
    bar.querySelectorAll('button').forEach((b, j) => b.setAttribute('aria-selected', String(i === j)));
    body.replaceChildren(tabs[i][1]());
  };
  tabs.forEach(([label], i) => bar.append(h('button', { type: 'button', role: 'tab', 'data-tab': label.toLowerCase(), onclick: () => show(i) }, label)));
  show(0);
  return h('div', {}, bar, body);
}

function status(s: string): Node {
  return h('span', { class: `status status-${s.replace(/[^a-z_]/g, '')}` }, s);
}

function lastStatus(t: DocsNode): Node {
  return t.last_result ? status(t.last_result.status) : h('span', { class: 'status status-none' }, 'not run');
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function ageText(seconds: number): string {
  return seconds < 3600 ? `${Math.round(seconds / 60)} min` : seconds < 172800 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86400)} days`;
}

// Last, once every module-level value above is set.
if (!data) document.body.textContent = 'eider docs: no data.js next to this page (run eider docs generate)';
else start(data);
