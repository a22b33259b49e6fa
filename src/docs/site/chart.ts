// A node's recent builds as an inline SVG (no chart library): duration as bars, rows as a line, one per release.
// Labels are text nodes.
import { s } from './dom.js';
import type { DocsRun } from './types.js';

const W = 640;
const H = 200;
const PAD = { left: 56, right: 64, top: 16, bottom: 40 };

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The chart of `runs` (oldest first). */
export function buildChart(runs: readonly DocsRun[]): SVGElement {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxMs = Math.max(1, ...runs.map((r) => r.duration_ms ?? 0));
  const withRows = runs.filter((r) => r.rows !== null);
  const maxRows = Math.max(1, ...withRows.map((r) => r.rows!));
  const step = plotW / Math.max(1, runs.length);
  const x = (i: number) => PAD.left + step * i + step / 2;
  const yMs = (ms: number) => PAD.top + plotH - (ms / maxMs) * plotH;
  const yRows = (n: number) => PAD.top + plotH - (n / maxRows) * plotH;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `duration and rows of the last ${runs.length} builds` });
  svg.appendChild(s('line', { x1: PAD.left, y1: PAD.top + plotH, x2: PAD.left + plotW, y2: PAD.top + plotH, class: 'axis' }));
  svg.appendChild(s('text', { x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end', class: 'label duration' }, formatMs(maxMs)));
  svg.appendChild(s('text', { x: PAD.left - 6, y: PAD.top + plotH, 'text-anchor': 'end', class: 'label duration' }, '0'));
  if (withRows.length) svg.appendChild(s('text', { x: W - 2, y: PAD.top + 4, 'text-anchor': 'end', class: 'label rows' }, `${formatCount(maxRows)} rows`));
  runs.forEach((r, i) => {
    const ms = r.duration_ms ?? 0;
    const bar = s('rect', { x: x(i) - Math.min(18, step * 0.35), y: yMs(ms), width: Math.min(36, step * 0.7), height: PAD.top + plotH - yMs(ms), class: `bar status-${r.status.replace(/[^a-z_]/g, '')}` });
    bar.appendChild(s('title', {}, `${r.release_id}\n${r.started_at}\n${r.status}: ${formatMs(ms)}${r.rows !== null ? `, ${formatCount(r.rows)} rows` : ''}`));
    svg.appendChild(bar);
    if (i === 0 || i === runs.length - 1 || runs.length <= 8) svg.appendChild(s('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'label' }, r.started_at.slice(5, 16)));
  });
  if (withRows.length) {
    const points = runs.flatMap((r, i) => (r.rows === null ? [] : [`${x(i)},${yRows(r.rows)}`]));
    svg.appendChild(s('polyline', { points: points.join(' '), class: 'rows-line' }));
    runs.forEach((r, i) => r.rows !== null && svg.appendChild(s('circle', { cx: x(i), cy: yRows(r.rows), r: 3, class: 'rows-dot' })));
  }
  svg.appendChild(s('text', { x: PAD.left, y: H - 6, class: 'label legend' }, '▮ duration   ● rows'));
  return svg;
}
