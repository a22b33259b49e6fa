// The docs site's lineage graph on the generated 5,000-model project in headless Chromium: mount, focus a node in
// the middle, change its depth, the grouped whole-project view, expanding a group, a selector. Each is timed
// in the page from the call to the next painted frame, against baselines measured in the same run: dagre
// laying out the same graph in Node alone, and the same number of nodes drawn as plain SVG and on a canvas.
import dagre from '@dagrejs/dagre';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { graphData } from '../docs/graph-data.js';
import { writeGraphPage } from '../docs/graph-page.js';
import { generateProject } from './generate.js';
import type { Timing } from './incremental-bench.js';

export interface GraphStep {
  readonly name: string;
  /** In Chromium: the call to the next painted frame. */
  readonly browser: Timing;
  /** What was drawn: nodes one by one, and groups. */
  readonly nodes: number;
  readonly groups: number;
  /** Baselines: dagre on the same graph in Node; the same count of nodes as plain SVG, and on a canvas. */
  readonly dagreNode: Timing;
  readonly plainSvg: Timing;
  readonly canvas: Timing;
}

export interface GraphResult {
  readonly models: number;
  readonly nodes: number;
  readonly dataBytes: number;
  readonly manifestBytes: number;
  readonly focus: string;
  readonly rounds: number;
  /** Page load to the first painted frame (data.js and the script parsed), and mountLineage to the first frame. */
  readonly load: Timing;
  readonly mount: Timing;
  readonly steps: readonly GraphStep[];
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function timing(xs: readonly number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

type Action = { kind: 'focus' | 'depth' | 'project' | 'expand' | 'select' | 'svg' | 'canvas'; arg?: unknown };

/** Runs one action in the page and waits for the next painted frame; returns the milliseconds. */
function act(page: Page, a: Action): Promise<number> {
  return page.evaluate(async ({ kind, arg }) => {
    const g = (window as unknown as { eiderGraph: { focus(id: string): void; setDepth(u: number, d: number): void; showProject(): void; select(s: string): void } }).eiderGraph;
    const t0 = performance.now();
    let scratch: Element | undefined;
    if (kind === 'focus') g.focus(arg as string);
    else if (kind === 'depth') g.setDepth(...(arg as [number, number]));
    else if (kind === 'project') g.showProject();
    else if (kind === 'select') g.select(arg as string);
    else if (kind === 'expand') document.querySelector(`.eg-group[data-group="${arg as string}"]`)!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    else if (kind === 'svg') {
      // The floor of an SVG drawing: n boxes with a label each, in a grid, no layout.
      const NS = 'http://www.w3.org/2000/svg';
      const svg = document.createElementNS(NS, 'svg');
      svg.setAttribute('style', 'position:fixed;left:0;top:0;width:1400px;height:900px');
      for (let i = 0; i < (arg as number); i++) {
        const grp = document.createElementNS(NS, 'g');
        grp.setAttribute('transform', `translate(${(i % 7) * 200} ${Math.floor(i / 7) * 32})`);
        const rect = document.createElementNS(NS, 'rect');
        rect.setAttribute('width', '190');
        rect.setAttribute('height', '28');
        const text = document.createElementNS(NS, 'text');
        text.setAttribute('y', '18');
        text.textContent = `model_${i}`;
        grp.append(rect, text);
        svg.append(grp);
      }
      document.body.append(svg);
      scratch = svg;
    } else {
      const canvas = document.createElement('canvas');
      canvas.width = 1400;
      canvas.height = 900;
      canvas.setAttribute('style', 'position:fixed;left:0;top:0');
      document.body.append(canvas);
      const c = canvas.getContext('2d')!;
      c.font = '12px sans-serif';
      for (let i = 0; i < (arg as number); i++) {
        const x = (i % 7) * 200;
        const y = Math.floor(i / 7) * 32;
        c.strokeRect(x, y, 190, 28);
        c.fillText(`model_${i}`, x + 8, y + 18);
      }
      scratch = canvas;
    }
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const ms = performance.now() - t0;
    scratch?.remove();
    return ms;
  }, a);
}

/** What the graph drew: its items with their sizes and the edges between them, to lay out again in Node. */
function drawn(page: Page): Promise<{ items: Array<[string, number, number]>; edges: Array<[string, string]>; nodes: number; groups: number }> {
  return page.evaluate(() => {
    const items = [...document.querySelectorAll('.eg-node, .eg-group')].map((e) => {
      const r = e.querySelector('rect')!;
      return [e.getAttribute('data-key')!, Number(r.getAttribute('width')), Number(r.getAttribute('height'))] as [string, number, number];
    });
    const edges = [...document.querySelectorAll('.eg-edge')].map((e) => [e.getAttribute('data-from')!, e.getAttribute('data-to')!] as [string, string]);
    return { items, edges, nodes: document.querySelectorAll('.eg-node').length, groups: document.querySelectorAll('.eg-group').length };
  });
}

function dagreInNode(d: Awaited<ReturnType<typeof drawn>>): number {
  const t0 = performance.now();
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [key, width, height] of d.items) g.setNode(key, { width, height });
  for (const [a, b] of d.edges) g.setEdge(a, b);
  dagre.layout(g);
  return performance.now() - t0;
}

/** The model of a layer with the most nodes within 2 steps up and down (intermediate: a focus in the middle of the DAG). */
function middleNode(manifest: { nodes: Record<string, { resource_type: string; original_file_path: string }>; parent_map: Record<string, string[]>; child_map: Record<string, string[]> }, folder: string): string {
  const around = (id: string) => {
    const out = new Set([id]);
    for (const map of [manifest.parent_map, manifest.child_map]) {
      let frontier = [id];
      for (let d = 0; d < 2; d++) {
        frontier = frontier.flatMap((n) => map[n] ?? []).filter((n) => manifest.nodes[n].resource_type === 'model' && !out.has(n));
        for (const n of frontier) out.add(n);
      }
    }
    return out.size;
  };
  const middle = Object.keys(manifest.nodes).filter((id) => manifest.nodes[id].original_file_path.startsWith(folder));
  return middle.map((id) => [id, around(id)] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

export async function benchGraph(work: string, bin: string, models: number, repeat: number): Promise<GraphResult> {
  const dir = join(work, `graph-${models}`);
  generateProject(dir, models, 'mixed');
  const r = spawnSync(process.execPath, [bin, 'compile', '--project-dir', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  const manifestFile = join(dir, 'target/manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const data = graphData(manifest);
  const focus = middleNode(manifest, 'models/intermediate/');
  const source = middleNode(manifest, 'models/sources/');
  const page0 = pathToFileURL(writeGraphPage(join(dir, 'graph-page'), data)).href;
  const steps: Array<[string, Action, Action?]> = [
    ['focus a node in the middle (depth 2/2)', { kind: 'focus', arg: focus }],
    ['focus a source-layer model (2/2)', { kind: 'focus', arg: source }],
    ['… depth all/all: every descendant', { kind: 'depth', arg: [Infinity, Infinity] }],
    ['focus the node in the middle again (all/all)', { kind: 'focus', arg: focus }],
    ['change depth to 3/3', { kind: 'depth', arg: [3, 3] }],
    ['change depth to 2/2', { kind: 'depth', arg: [2, 2] }],
    ['selector +name+', { kind: 'select', arg: `+${focus.replace(/^model\./, '')}+` }],
    ['selector tag:marts,config.materialized:table', { kind: 'select', arg: 'tag:marts,config.materialized:table' }],
    ['whole-project view, grouped by layer', { kind: 'project' }],
    ['expand the staging layer (1,500 models: ranges of names)', { kind: 'expand', arg: 'layer:staging' }],
    ['expand one range of names in it', { kind: 'expand', arg: 'layer:staging#0' }],
  ];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const load: number[] = [];
  const mount: number[] = [];
  const times = steps.map(() => ({ browser: [] as number[], dagre: [] as number[], svg: [] as number[], canvas: [] as number[], nodes: 0, groups: 0 }));
  try {
    for (let round = 0; round < repeat; round++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(page0);
      await page.waitForFunction(() => document.getElementById('graph')!.dataset.paintMs !== undefined && document.querySelector<HTMLElement>('.eg-root')!.dataset.engine === 'ready');
      const ds = await page.evaluate(() => ({ ...document.getElementById('graph')!.dataset }));
      load.push(Number(ds.loadMs));
      mount.push(Number(ds.paintMs));
      for (const [i, [, action]] of steps.entries()) {
        times[i].browser.push(await act(page, action));
        const d = await drawn(page);
        times[i].nodes = d.nodes;
        times[i].groups = d.groups;
        times[i].dagre.push(dagreInNode(d));
        times[i].svg.push(await act(page, { kind: 'svg', arg: d.items.length }));
        times[i].canvas.push(await act(page, { kind: 'canvas', arg: d.items.length }));
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return {
    models,
    nodes: data.id.length,
    dataBytes: JSON.stringify(data).length,
    manifestBytes: statSync(manifestFile).size,
    focus,
    rounds: repeat,
    load: timing(load),
    mount: timing(mount),
    steps: steps.map(([name], i) => ({ name, browser: timing(times[i].browser), nodes: times[i].nodes, groups: times[i].groups, dagreNode: timing(times[i].dagre), plainSvg: timing(times[i].svg), canvas: timing(times[i].canvas) })),
  };
}
