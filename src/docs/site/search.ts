// Search over names, descriptions, columns and tags with minisearch; the index is built in the browser from
// data.js when the search box is first used. Measured on the 5,000-model project (npm run bench -- --only docs),
// building it takes about 1.7x loading a prebuilt one, which would add about 8% to data.js for every page load.
import MiniSearch from 'minisearch';
import { h } from './dom.js';
import type { DocsNode } from './types.js';

interface Doc {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly columns: string;
  readonly tags: string;
}

export function buildIndex(nodes: readonly DocsNode[]): MiniSearch<Doc> {
  const index = new MiniSearch<Doc>({
    fields: ['name', 'description', 'columns', 'tags'],
    tokenize: (text) => text.split(/[^\p{L}\p{N}]+/u).filter(Boolean),
    // A data test's generated name repeats its model's and column's names: at half weight, so the model comes first.
    searchOptions: { boost: { name: 4, tags: 2, columns: 1.5 }, prefix: true, fuzzy: 0.15, combineWith: 'AND', boostDocument: (id) => (nodes[id as number].resource_type === 'test' ? 0.5 : 1) },
  });
  index.addAll(nodes.map((n, id) => ({ id, name: `${n.name} ${n.name.replace(/_/g, ' ')}`, description: n.description, columns: n.columns.map((c) => `${c.name} ${c.description}`).join(' '), tags: n.tags.join(' ') })));
  return index;
}

/** The search box: results as links; ↓/↑ move, Enter opens, Escape closes. */
export function mountSearch(box: HTMLElement, nodes: readonly DocsNode[], href: (n: DocsNode) => string, open: (n: DocsNode) => void): void {
  let index: MiniSearch<Doc> | undefined;
  let active = -1;
  let shown: DocsNode[] = [];
  const input = h('input', { type: 'search', id: 'search', placeholder: 'Search models, columns, tags…  ( / )', autocomplete: 'off', 'aria-label': 'Search', 'aria-controls': 'search-results' });
  const list = h('ul', { id: 'search-results', role: 'listbox', hidden: true });
  box.append(input, list);
  const paint = () => {
    list.replaceChildren(
      ...shown.map((n, i) =>
        h('li', { role: 'option', class: i === active ? 'active' : '', 'aria-selected': String(i === active) }, h('a', { href: href(n), onclick: () => close() }, h('span', { class: `badge ${n.resource_type}` }, n.resource_type), ' ', n.name, h('small', {}, ` ${n.original_file_path}`))),
      ),
    );
    if (input.value.trim() && shown.length === 0) list.append(h('li', { class: 'empty' }, 'No match'));
    list.hidden = !input.value.trim();
  };
  const close = () => {
    list.hidden = true;
    active = -1;
  };
  // Built when the box is first focused (or typed in): usually ready before the first key.
  input.addEventListener('focus', () => setTimeout(() => (index ??= buildIndex(nodes))), { once: true });
  input.addEventListener('input', () => {
    const q = input.value.trim();
    index ??= buildIndex(nodes);
    shown = q ? index.search(q).slice(0, 20).map((r) => nodes[r.id as number]) : [];
    active = shown.length ? 0 : -1;
    paint();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!shown.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      paint();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      open(shown[active]);
      close();
    } else if (e.key === 'Escape') close();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== input && !(document.activeElement instanceof HTMLInputElement)) {
      e.preventDefault();
      input.focus();
    }
  });
}
