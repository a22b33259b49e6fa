// The docs site's interactive lineage graph: a focused node with its upstream and downstream to a depth, the
// engine's own selector, and a whole-project view grouped by layer or folder, laid out with dagre (only
// what is shown) and drawn as SVG. Every name, tag and column is set as text or an attribute, never as markup.
import dagre from '@dagrejs/dagre';
import type { GraphData } from './graph-types.js';
import { buildView, columnChain, groupKey, LineageModel, nodeKey, parseSelector, type ColumnChain, type DisplayType, type Group, type GroupBy, type View } from './graph-view.js';
import type { ColumnLineage } from './types.js';

export interface LineageOptions {
  readonly focus?: string;
  onOpen(uniqueId: string): void;
  readonly columnLineage?: ColumnLineage;
  /** Views of more nodes than this are shown grouped (default 100). */
  readonly maxNodes?: number;
}

export interface LineageGraph {
  focus(id: string): void;
  /** Depths upstream and downstream of the focus; Infinity for all. */
  setDepth(up: number, down: number): void;
  /** Shows what the selector selects, exactly as `eider ls -s …` (`--exclude …` may follow); '' goes back to the focus. */
  select(selector: string): void;
  /** The project as a whole, grouped by layer or folder when large. */
  showProject(): void;
  /** Highlights a column's upstream columns across nodes (needs columnLineage). */
  focusColumn(uniqueId: string, column: string): void;
  destroy(): void;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 200;
const HEIGHT = 28;
const ROW = 16;
const DEPTHS = [0, 1, 2, 3, 4, 5, 10, Infinity];
/** Items and edges past which a layout takes dagre's first good ordering. */
const LARGE_LAYOUT = 80;
const MODEL_LAYER_COLOURS = ['#fff2cc', '#d9d2e9', '#fce5cd', '#d0f0e0', '#f4cccc', '#e6f0c8', '#f3e0f7', '#e8e4d0'];
const FIXED_LAYER_COLOURS: Record<string, string> = { seeds: '#d9ead3', sources: '#c9daf8', snapshots: '#ead1dc', tests: '#eeeeee' };
const TYPE_COLOURS: Record<DisplayType, string> = { model: '#3c78d8', seed: '#38761d', source: '#0b5394', snapshot: '#a64d79', test: '#999999', unit_test: '#999999' };
const TYPE_BADGES: Record<DisplayType, string> = { model: 'M', seed: 'SD', source: 'SRC', snapshot: 'SN', test: 'T', unit_test: 'U' };

const CSS = `
.eg-root{display:flex;flex-direction:column;height:100%;min-height:320px;font:13px system-ui,sans-serif;color:#222}
.eg-bar{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;padding:6px 0}
.eg-bar label{display:flex;gap:4px;align-items:center}
.eg-sel{flex:1 1 260px;display:flex;gap:4px}.eg-sel input{flex:1;font:12px ui-monospace,monospace;padding:3px 6px}
.eg-msg{min-height:1.2em;font-size:12px;color:#555;padding:0 0 4px}.eg-msg.eg-error{color:#b00020}
.eg-chips{display:flex;flex-wrap:wrap;gap:4px}.eg-chips button{font-size:11px}
.eg-main{position:relative;flex:1;border:1px solid #ddd;border-radius:4px;overflow:hidden;background:#fcfcfc}
.eg-main svg{width:100%;height:100%;display:block;cursor:grab;user-select:none}
.eg-legend{position:absolute;right:6px;top:6px;background:#fffe;border:1px solid #ddd;border-radius:4px;padding:4px 8px;font-size:11px;line-height:16px}
.eg-legend span{display:inline-block;width:10px;height:10px;border:2px solid #ccc;margin-right:4px;vertical-align:-2px}
.eg-node,.eg-group{cursor:pointer;outline:none}.eg-node:focus-visible rect.eg-box,.eg-group:focus-visible rect{stroke:#e69138;stroke-width:3}.eg-node rect.eg-box{stroke-width:1.5}.eg-node.eg-focus rect.eg-box{stroke:#e69138;stroke-width:4}
.eg-node.eg-ephemeral rect.eg-box{stroke-dasharray:4 3}.eg-node text,.eg-group text{font-size:12px;pointer-events:none}
.eg-badge{font-size:9px!important;font-weight:600;fill:#555}.eg-group rect{stroke:#777;stroke-width:1.5;stroke-dasharray:6 3}
.eg-count{font-size:11px!important;fill:#555}.eg-col text{font:11px ui-monospace,monospace;fill:#333;pointer-events:auto}
.eg-col rect{fill:transparent}.eg-col:hover rect{fill:#0001}.eg-col.eg-on rect{fill:#ffe599}.eg-col.eg-unknown text{fill:#999}
.eg-edge{fill:none;stroke:#999;stroke-width:1.2}.eg-edge.eg-hot{stroke:#e69138}.eg-cedge{fill:none;stroke:#e69138;stroke-width:1.5;stroke-dasharray:3 2}
`;

export function mountLineage(el: HTMLElement, graph: GraphData, opts: LineageOptions): LineageGraph & { readonly element: HTMLElement } {
  const model = new LineageModel(graph);
  const max = opts.maxNodes ?? 100;
  const state = {
    mode: 'project' as 'focus' | 'project' | 'select',
    focus: undefined as number | undefined,
    up: 2,
    down: 2,
    by: 'layer' as GroupBy,
    tests: false,
    selection: undefined as Set<number> | undefined,
    expanded: [] as string[],
    column: undefined as { node: string; column: string; chain: ColumnChain } | undefined,
  };
  const layerColour = layerColours(model);
  /** Each group's label as last drawn, for the buttons that collapse expanded groups. */
  const groupLabels = new Map<string, string>();

  // The controls.
  const h = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | boolean> = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    Object.assign(e, props); // properties (textContent, value, …): text, never markup
    e.append(...kids);
    return e;
  };
  ensureStyle();
  const root = h('div', { className: 'eg-root' });
  const focusButton = h('button', { type: 'button', textContent: 'Focus', title: 'The focused node with its upstream and downstream' });
  const projectButton = h('button', { type: 'button', textContent: 'Whole project', title: 'Every node, grouped by layer or folder when there are many' });
  const depthSelect = (label: string, value: number) => {
    const s = h('select', { title: `${label} depth` });
    for (const d of DEPTHS) s.append(h('option', { value: String(d), textContent: d === Infinity ? 'all' : String(d), selected: d === value }));
    return s;
  };
  const upSelect = depthSelect('Upstream', state.up);
  const downSelect = depthSelect('Downstream', state.down);
  const bySelect = h('select', { title: 'Group large views by' }, h('option', { value: 'layer', textContent: 'layer' }), h('option', { value: 'folder', textContent: 'folder' }));
  const testsBox = h('input', { type: 'checkbox', title: 'Show data tests and unit tests' });
  const selInput = h('input', { type: 'search', name: 'selector', placeholder: 'select: +fct_orders tag:daily,config.materialized:table --exclude …', spellcheck: false, autocomplete: 'off' });
  const selForm = h('form', { className: 'eg-sel' }, selInput, h('button', { type: 'submit', textContent: 'Select' }));
  const fitButton = h('button', { type: 'button', textContent: 'Fit' });
  const msg = h('div', { className: 'eg-msg', role: 'status' });
  const chips = h('div', { className: 'eg-chips' });
  const legend = h('div', { className: 'eg-legend' });
  const main = h('div', { className: 'eg-main' });
  root.append(
    h('div', { className: 'eg-bar' }, focusButton, projectButton, h('label', {}, 'up', upSelect), h('label', {}, 'down', downSelect), h('label', {}, 'group by', bySelect), h('label', {}, testsBox, 'tests'), fitButton, selForm),
    msg,
    chips,
    main,
  );
  const svg = document.createElementNS(SVG, 'svg');
  const viewport = svgEl('g', { class: 'eg-viewport' });
  svg.append(viewport);
  main.append(svg, legend);
  el.append(root);

  // Pan and zoom: one transform on the viewport group.
  const pan = { x: 0, y: 0, k: 1, width: 0, height: 0 };
  const applyPan = () => viewport.setAttribute('transform', `translate(${pan.x} ${pan.y}) scale(${pan.k})`);
  const fit = () => {
    const w = main.clientWidth || 800;
    const hgt = main.clientHeight || 500;
    pan.k = Math.min(1.2, w / Math.max(pan.width, 1), hgt / Math.max(pan.height, 1));
    pan.x = (w - pan.width * pan.k) / 2;
    pan.y = (hgt - pan.height * pan.k) / 2;
    applyPan();
  };
  let drag: { x: number; y: number; px: number; py: number; moved: boolean } | undefined;
  let dragged = false;
  svg.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y, moved: false };
    dragged = false;
  });
  const onMove = (e: PointerEvent) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = dragged = true;
    pan.x = drag.px + dx;
    pan.y = drag.py + dy;
    applyPan();
  };
  const onUp = () => (drag = undefined);
  // Fitted again when the graph's box changes size (say, mounted hidden and shown later).
  const resized = typeof ResizeObserver === 'function' ? new ResizeObserver(() => fit()) : undefined;
  resized?.observe(main);
  window.addEventListener('pointermove', onMove);
  window.addEventListener('pointerup', onUp);
  svg.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      const mx = e.clientX - r.left;
      const my = e.clientY - r.top;
      const k = Math.min(4, Math.max(0.05, pan.k * Math.exp(-e.deltaY / 500)));
      pan.x = mx - ((mx - pan.x) * k) / pan.k;
      pan.y = my - ((my - pan.y) * k) / pan.k;
      pan.k = k;
      applyPan();
    },
    { passive: false },
  );

  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle('eg-error', error);
  };

  // What is shown, then drawn.
  const render = () => {
    const shown = new Set<number>();
    const pinned = new Set<number>();
    if (state.mode === 'focus' && state.focus !== undefined) {
      shown.add(state.focus);
      pinned.add(state.focus);
      model.reach(state.focus, 'up', state.up, shown);
      model.reach(state.focus, 'down', state.down, shown);
      for (const id of state.column?.chain.columns.keys() ?? []) {
        const i = model.index.get(id);
        if (i !== undefined) shown.add(i), pinned.add(i);
      }
      if (state.tests) model.addTests(shown);
    } else if (state.mode === 'select' && state.selection) {
      for (const i of state.selection) if (state.tests || !model.isTest(i)) shown.add(i);
    } else for (let i = 0; i < model.size; i++) if (state.tests || !model.isTest(i)) shown.add(i);
    let view = buildView(model, shown, pinned, state.by, new Set(state.expanded), max);
    // Never lay out more than about twice the limit: expanding one more group collapses the oldest others.
    while (view.nodes.length > 2 * max && state.expanded.length > 1) {
      const newest = state.expanded[state.expanded.length - 1];
      const drop = state.expanded.findIndex((g) => !newest.startsWith(g));
      if (drop < 0 || drop === state.expanded.length - 1) break;
      state.expanded.splice(drop, 1);
      view = buildView(model, shown, pinned, state.by, new Set(state.expanded), max);
    }
    draw(view);
    renderChips();
    focusButton.disabled = state.focus === undefined;
    root.dataset.mode = state.mode;
    root.dataset.shown = String(shown.size);
  };

  const columnsOf = (i: number): Array<{ name: string; on: boolean; unknown?: string }> => {
    const id = model.ids[i];
    const chain = state.column?.chain;
    const entries = opts.columnLineage?.[id];
    if (state.mode === 'focus' && i === state.focus && entries) {
      return entries.map((e) => ({ name: e.column, on: chain?.columns.get(id)?.has(e.column) ?? false, unknown: e.unknown }));
    }
    const cols = chain?.columns.get(id);
    return cols ? [...cols].map((c) => ({ name: c, on: true, unknown: chain!.unknown.get(`${id}\t${c}`) })) : [];
  };

  const draw = (view: View) => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(() => ({}));
    const rows = new Map<number, ReturnType<typeof columnsOf>>();
    for (const i of view.nodes) {
      const cols = columnsOf(i);
      rows.set(i, cols);
      g.setNode(nodeKey(i), { width: WIDTH, height: HEIGHT + (cols.length ? cols.length * ROW + 6 : 0) });
    }
    for (const grp of view.groups) g.setNode(groupKey(grp.id), { width: WIDTH + 20, height: 44 });
    for (const e of view.edges) g.setEdge(e.from, e.to);
    // dagre's best ordering (fewest crossings) tries several orders: for large views it costs more than it gives.
    dagre.layout(g, { disableOptimalOrderHeuristic: view.nodes.length + view.groups.length + view.edges.length > LARGE_LAYOUT });
    const label = g.graph();
    pan.width = label.width ?? 0;
    pan.height = label.height ?? 0;

    const edgeLayer = svgEl('g', {});
    const nodeLayer = svgEl('g', {});
    const hot = new Set<string>();
    for (const l of state.column?.chain.links ?? []) {
      const a = model.index.get(l.from);
      const b = model.index.get(l.to);
      if (a !== undefined && b !== undefined) hot.add(`${nodeKey(a)} ${nodeKey(b)}`);
    }
    for (const e of view.edges) {
      const pts = g.edge(e.from, e.to)?.points ?? [];
      const path = svgEl('path', { class: hot.has(`${e.from} ${e.to}`) ? 'eg-edge eg-hot' : 'eg-edge', d: pathOf(pts), 'marker-end': 'url(#eg-arrow)', 'data-from': e.from, 'data-to': e.to });
      if (e.count > 1) path.setAttribute('stroke-width', String(Math.min(6, 1 + Math.log2(e.count))));
      edgeLayer.append(path);
    }
    const rowPos = new Map<string, { x: number; y: number }>();
    for (const i of view.nodes) {
      const p = g.node(nodeKey(i));
      const x = p.x - p.width / 2;
      const y = p.y - p.height / 2;
      const type = model.type(i);
      const classes = ['eg-node'];
      if (i === state.focus && state.mode === 'focus') classes.push('eg-focus');
      if (model.materialized(i) === 'ephemeral') classes.push('eg-ephemeral');
      const node = svgEl('g', { class: classes.join(' '), transform: `translate(${x} ${y})`, 'data-id': model.ids[i], 'data-key': nodeKey(i), tabindex: '0', role: 'button' });
      const title = [graph.name[i], [type, model.materialized(i), model.files[i]].filter(Boolean).join(' · ')];
      const tags = model.tags(i);
      if (tags.length) title.push(`tags: ${tags.join(', ')}`);
      title.push('click: open its page · shift-click: focus it');
      node.append(
        svgText('title', title.join('\n')),
        svgEl('rect', { class: 'eg-box', width: String(p.width), height: String(p.height), rx: '4', fill: layerColour(model.layers[i]), stroke: TYPE_COLOURS[type] }),
        svgText('text', TYPE_BADGES[type], { class: 'eg-badge', x: '6', y: '17' }),
        svgText('text', clip(graph.name[i], 24), { x: '30', y: '18' }),
      );
      rows.get(i)!.forEach((c, r) => {
        const ry = HEIGHT + r * ROW;
        const row = svgEl('g', { class: `eg-col${c.on ? ' eg-on' : ''}${c.unknown !== undefined ? ' eg-unknown' : ''}`, 'data-column': c.name });
        row.append(svgEl('rect', { x: '2', y: String(ry - 1), width: String(p.width - 4), height: String(ROW) }), svgText('text', clip(c.name, 28) + (c.unknown !== undefined ? ' ?' : ''), { x: '10', y: String(ry + 11) }));
        row.append(svgText('title', c.unknown === undefined ? c.name : `${c.name}: unknown (${c.unknown})`));
        node.append(row);
        rowPos.set(`${model.ids[i]}\t${c.name}`, { x, y: y + ry + ROW / 2 });
      });
      nodeLayer.append(node);
    }
    for (const grp of view.groups) {
      const p = g.node(groupKey(grp.id));
      groupLabels.set(grp.id, grp.label);
      const node = svgEl('g', { class: 'eg-group', transform: `translate(${p.x - p.width / 2} ${p.y - p.height / 2})`, 'data-group': grp.id, 'data-key': groupKey(grp.id), tabindex: '0', role: 'button' });
      node.append(
        svgText('title', `${grp.label}: ${grp.members.length} nodes (click to expand)`),
        svgEl('rect', { width: String(p.width), height: String(p.height), rx: '8', fill: layerColour(grp.layer) }),
        svgText('text', clip(grp.label, 30), { x: '10', y: '18' }),
        svgText('text', `${grp.members.length.toLocaleString('en-US')} node${grp.members.length === 1 ? '' : 's'} ▸`, { class: 'eg-count', x: '10', y: '35' }),
      );
      nodeLayer.append(node);
    }
    const colLayer = svgEl('g', {});
    for (const l of state.column?.chain.links ?? []) {
      const a = rowPos.get(`${l.from}\t${l.fromColumn}`);
      const b = rowPos.get(`${l.to}\t${l.toColumn}`);
      if (!a || !b) continue;
      const ax = a.x + WIDTH;
      colLayer.append(svgEl('path', { class: 'eg-cedge', d: `M${ax},${a.y} C${ax + 40},${a.y} ${b.x - 40},${b.y} ${b.x},${b.y}` }));
    }
    const defs = svgEl('defs', {});
    const marker = svgEl('marker', { id: 'eg-arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto' });
    marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#999' }));
    defs.append(marker);
    viewport.replaceChildren(defs, edgeLayer, nodeLayer, colLayer);
    renderLegend(view);
    fit();
    root.dataset.rendered = String(Number(root.dataset.rendered ?? 0) + 1);
  };

  const renderLegend = (view: View) => {
    const layers = new Set<string>([...view.nodes.map((i) => model.layers[i]), ...view.groups.map((grp) => grp.layer)]);
    const types = new Set<DisplayType>(view.nodes.map((i) => model.type(i)));
    const item = (text: string, fill: string, stroke: string) => {
      const swatch = h('span');
      swatch.style.background = fill;
      swatch.style.borderColor = stroke;
      return h('div', {}, swatch, text);
    };
    legend.replaceChildren(
      h('strong', { textContent: 'layer' }),
      ...[...layers].sort().map((l) => item(l, layerColour(l), '#ccc')),
      ...(types.size ? [h('strong', { textContent: 'type (border)' })] : []),
      ...[...types].sort().map((t) => item(`${TYPE_BADGES[t]} ${t}`, '#fff', TYPE_COLOURS[t])),
    );
  };

  const renderChips = () => {
    chips.replaceChildren(
      ...state.expanded.map((id) => {
        const b = h('button', { type: 'button', textContent: `${groupLabels.get(id) ?? id} ×`, title: 'Collapse this group' });
        b.addEventListener('click', () => {
          state.expanded = state.expanded.filter((g) => g !== id && !g.startsWith(`${id}>`) && !g.startsWith(`${id}#`));
          render();
        });
        return b;
      }),
    );
  };

  // Interactions.
  svg.addEventListener('click', (e) => {
    if (dragged) return;
    const target = e.target as Element;
    const col = target.closest('.eg-col');
    const node = target.closest('.eg-node');
    const group = target.closest('.eg-group');
    if (col && node) api.focusColumn(node.getAttribute('data-id')!, col.getAttribute('data-column')!);
    else if (node && e.shiftKey) api.focus(node.getAttribute('data-id')!);
    else if (node) opts.onOpen(node.getAttribute('data-id')!);
    else if (group) {
      state.expanded.push(group.getAttribute('data-group')!);
      render();
    }
  });
  // The keyboard: Enter or Space on a node or a group does what a click does (shift too).
  svg.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    dragged = false;
    (e.target as Element).dispatchEvent(new MouseEvent('click', { bubbles: true, shiftKey: e.shiftKey }));
  });
  focusButton.addEventListener('click', () => {
    if (state.focus === undefined) return;
    state.mode = 'focus';
    state.expanded = [];
    say('');
    render();
  });
  projectButton.addEventListener('click', () => api.showProject());
  const onDepth = () => api.setDepth(Number(upSelect.value), Number(downSelect.value));
  upSelect.addEventListener('change', onDepth);
  downSelect.addEventListener('change', onDepth);
  bySelect.addEventListener('change', () => {
    state.by = bySelect.value as GroupBy;
    state.expanded = [];
    render();
  });
  testsBox.addEventListener('change', () => {
    state.tests = testsBox.checked;
    render();
  });
  selForm.addEventListener('submit', (e) => {
    e.preventDefault();
    api.select(selInput.value);
  });
  fitButton.addEventListener('click', fit);

  const api = {
    element: root,
    focus(id: string) {
      const i = model.index.get(id);
      if (i === undefined) return say(`no node ${id} in the graph`, true);
      state.mode = 'focus';
      state.focus = i;
      state.expanded = [];
      state.column = undefined;
      say('');
      render();
    },
    setDepth(up: number, down: number) {
      state.up = up;
      state.down = down;
      upSelect.value = String(up);
      downSelect.value = String(down);
      if (state.mode !== 'focus' && state.focus !== undefined) state.mode = 'focus';
      render();
    },
    select(selector: string) {
      selInput.value = selector;
      const { select, exclude } = parseSelector(selector);
      state.expanded = [];
      if (!select && !exclude) {
        state.mode = state.focus === undefined ? 'project' : 'focus';
        say('');
        return render();
      }
      try {
        state.selection = model.select(select, exclude);
      } catch (e) {
        return say((e as Error).message, true);
      }
      state.mode = 'select';
      const tests = [...state.selection].filter((i) => model.isTest(i)).length;
      if (state.selection.size === 0) say('the selection matched nothing');
      else say(`${state.selection.size} selected (${state.selection.size - tests} nodes, ${tests} tests${state.tests ? '' : ', hidden: tick "tests"'}), as eider ls -s would list them`);
      render();
    },
    showProject() {
      state.mode = 'project';
      state.expanded = [];
      say('');
      render();
    },
    focusColumn(uniqueId: string, column: string) {
      if (!opts.columnLineage) return say('no column lineage in this site', true);
      const i = model.index.get(uniqueId);
      if (i === undefined) return say(`no node ${uniqueId} in the graph`, true);
      state.mode = 'focus';
      state.focus = i;
      state.expanded = [];
      state.column = { node: uniqueId, column, chain: columnChain(opts.columnLineage, uniqueId, column) };
      say(`column ${column} of ${graph.name[i]}: ${state.column.chain.columns.size} nodes in its upstream`);
      render();
    },
    destroy() {
      resized?.disconnect();
      window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp);
      root.remove();
    },
  };
  if (opts.focus !== undefined) api.focus(opts.focus);
  else render();
  // The selector's engine (its DAG of every node) is built once the graph is drawn, so the first selector answers at once.
  const warm = () => {
    model.select('resource_type:seed', undefined);
    root.dataset.engine = 'ready';
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(warm, { timeout: 2000 });
  else setTimeout(warm, 100);
  return api;
}

function layerColours(model: LineageModel): (layer: string) => string {
  const modelLayers = [...new Set(model.layers)].filter((l) => !(l in FIXED_LAYER_COLOURS)).sort();
  return (layer) => FIXED_LAYER_COLOURS[layer] ?? MODEL_LAYER_COLOURS[modelLayers.indexOf(layer) % MODEL_LAYER_COLOURS.length] ?? '#fff';
}

function svgEl(tag: string, attrs: Record<string, string>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e as SVGElement;
}

/** An SVG element holding `text` as a text node (never parsed as markup). */
function svgText(tag: string, text: string, attrs: Record<string, string> = {}): SVGElement {
  const e = svgEl(tag, attrs);
  e.textContent = text;
  return e;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function pathOf(points: ReadonlyArray<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  let d = `M${points[0].x},${points[0].y}`;
  for (let j = 1; j < points.length; j++) d += ` L${points[j].x},${points[j].y}`;
  return d;
}

function ensureStyle(): void {
  if (document.getElementById('eider-lineage-style')) return;
  const style = document.createElement('style');
  style.id = 'eider-lineage-style';
  style.textContent = CSS;
  document.head.append(style);
}
