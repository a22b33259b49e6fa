import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { redact } from '../secrets.js';
import type { FreshnessResult } from '../execute/freshness.js';
import { displayRelation, type Node, type NodeResult, type NodeStatus, type Period } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { ProgressArea, progressWanted } from './progress.js';
import type { Reporter, RunStart } from './reporter.js';
import { formatCount } from './numbers.js';

type Color = 'green' | 'yellow' | 'red' | 'dim' | 'bold';
const CODES: Record<Color, [number, number]> = { green: [32, 39], yellow: [33, 39], red: [31, 39], dim: [2, 22], bold: [1, 22] };

const LABEL: Record<NodeStatus, { text: string; color: Color }> = {
  success: { text: 'OK', color: 'green' },
  pass: { text: 'PASS', color: 'green' },
  warn: { text: 'WARN', color: 'yellow' },
  fail: { text: 'FAIL', color: 'red' },
  error: { text: 'ERROR', color: 'red' },
  skipped: { text: 'SKIP', color: 'yellow' },
};

const WIDTH = 80;

/** The one place that writes to the terminal. Every line passes through `redact`. */
export class ConsoleReporter implements Reporter {
  readonly live: boolean;
  private readonly color: boolean;
  /** Shown from `runStarted` to the end of the run, on a terminal (`live`). */
  private progress: ProgressArea | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    // NO_COLOR (no-color.org): only a non-empty value turns colour off.
    this.color = Boolean(out.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    this.live = progressWanted(out);
  }

  /** Prints above the progress area when one is shown. */
  private above(print: () => void): void {
    if (this.progress) this.progress.above(print);
    else print();
  }

  private paint(text: string, c: Color): string {
    return this.color ? `\x1b[${CODES[c][0]}m${text}\x1b[${CODES[c][1]}m` : text;
  }

  line(text = ''): void {
    this.above(() => this.out.write(`${redact(text)}\n`));
  }

  errorLine(text: string): void {
    this.above(() => this.err.write(`${redact(text)}\n`));
  }

  warning(message: string): void {
    this.errorLine(`warning: ${message}`);
  }

  /** `eider 0.1.0 · shop · target dev · 25 nodes · 4 threads` */
  runStarted(run: RunStart): void {
    const n = run.nodes.length;
    this.line(`eider ${EIDER_VERSION} · ${run.project} · target ${run.target}${run.swap ? ' (swap publish)' : ''} · ${n} node${n === 1 ? '' : 's'} · ${run.threads} thread${run.threads === 1 ? '' : 's'}`);
    this.line();
    if (this.live) this.progress = new ProgressArea(this.out, run);
  }

  /** People see a node when it finishes (the progress area shows it running). */
  nodeStarted(node: Node): void {
    this.progress?.started(node);
  }

  runEnded(): void {
    this.progress?.stop();
    this.progress = undefined;
  }

  exit(): void {
    this.runEnded();
  }

  /** Each distinct message once (a macro's mistake is met by every model that calls it). */
  diagnostics(list: readonly Diagnostic[]): void {
    for (const d of new Map(list.map((x) => [formatDiagnostic(x), x])).values()) {
      this.errorLine(d.severity === 'error' ? this.paint(formatDiagnostic(d), 'red') : this.paint(formatDiagnostic(d), 'yellow'));
    }
  }

  /** `12 of 40 OK created table marts.fct_orders ........ [OK 1.2s, 48,210 rows]` */
  nodeResult(r: NodeResult, node: Node, index: number, total: number): void {
    this.above(() => {
      this.progress?.finished(node, index);
      this.nodeLines(r, node, index, total);
    });
  }

  private nodeLines(r: NodeResult, node: Node, index: number, total: number): void {
    const label = LABEL[r.status];
    const what = describe(r, node);
    const stats = [`${label.text} ${(r.durationMs / 1000).toFixed(2)}s`];
    if (r.rows !== undefined) stats.push(`${formatCount(r.rows)} row${r.rows === 1 ? "" : "s"}`);
    if (r.expired !== undefined) stats.push(`${formatCount(r.expired)} expired`);
    if (r.erased) stats.push(`${formatCount(r.erased)} erased`);
    if (r.failures) stats.push(`${formatCount(r.failures)} failing`);
    const head = `${String(index).padStart(String(total).length)} of ${total} ${label.text} ${what} `;
    const tail = ` [${stats.join(', ')}]`;
    const dots = '.'.repeat(Math.max(3, WIDTH - head.length - tail.length));
    this.line(`${head.replace(label.text, this.paint(label.text, label.color))}${this.paint(dots, 'dim')}${tail}`);
    if (r.error) this.line(`    ${this.paint(r.error, 'red')}`);
    if (r.detail) for (const l of r.detail.split('\n')) this.line(`    ${l}`);
    else if (r.sample && r.sample.rows.length > 0) this.sample(r.sample, r.failures ?? r.sample.rows.length);
    else if (r.status === 'skipped') this.line(this.paint(`    ${r.message}`, 'dim'));
  }

  /** The first failing rows of a test, as a small aligned table. */
  private sample(sample: NonNullable<NodeResult['sample']>, failures: number): void {
    const clip = (v: string) => (v.length > 32 ? `${v.slice(0, 31)}…` : v);
    const rows = [sample.columns.map(clip), ...sample.rows.map((r) => r.map(clip))];
    const widths = sample.columns.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const fmt = (r: readonly string[]) => `    | ${r.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
    this.line(this.paint(fmt(rows[0]), 'bold'));
    for (const r of rows.slice(1)) this.line(fmt(r));
    if (failures > sample.rows.length) this.line(this.paint(`    … and ${formatCount(failures - sample.rows.length)} more`, 'dim'));
  }

  /** source · newest load · age · warn after · error after · status */
  freshness(results: readonly FreshnessResult[]): void {
    const period = (p?: Period) => (p ? `${p.count} ${p.period}${p.count === 1 ? '' : 's'}` : '-');
    const rows = results.map((r) => [
      r.source,
      r.newest ? r.newest.toISOString().replace('T', ' ').slice(0, 19) : '-',
      r.ageMs !== undefined ? formatAge(r.ageMs) : '-',
      period(r.criteria.warnAfter),
      period(r.criteria.errorAfter),
      r.basis,
      r.status.toUpperCase(),
    ]);
    const head = ['node', 'newest load (UTC)', 'age', 'warn after', 'error after', 'measured by', 'status'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
    this.line(this.paint(fmt(head), 'bold'));
    results.forEach((r, i) => {
      const color: Color = r.status === 'pass' ? 'green' : r.status === 'warn' ? 'yellow' : 'red';
      const text = fmt(rows[i]);
      this.line(text.slice(0, text.length - rows[i][6].length) + this.paint(rows[i][6], color));
      if (r.error) this.line(this.paint(`    ${r.error}`, 'red'));
    });
    const counts = (['pass', 'warn', 'error', 'runtime error'] as const).map((s) => [s, results.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0);
    this.line();
    this.line(`Freshness of ${results.length} node${results.length === 1 ? '' : 's'}: ${counts.map(([s, n]) => `${n} ${s.toUpperCase()}`).join(', ')}`);
  }

  summary(results: readonly NodeResult[], elapsedMs: number): void {
    this.runEnded();
    const counts = new Map<NodeStatus, number>();
    for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const parts = (Object.keys(LABEL) as NodeStatus[])
      .filter((s) => counts.get(s))
      .map((s) => this.paint(`${counts.get(s)} ${LABEL[s].text}`, LABEL[s].color));
    this.line();
    this.line(`Finished in ${(elapsedMs / 1000).toFixed(2)}s: ${parts.join(', ') || 'nothing to do'}`);
  }
}

function describe(r: NodeResult, node: Node): string {
  switch (node.kind) {
    case 'model':
      return r.status === 'success' ? `${r.message} ${displayRelation(node.relation)}` : `${node.materialized} ${displayRelation(node.relation)}`;
    case 'seed':
      return `seed ${displayRelation(node.relation)}`;
    case 'test':
      return `test ${node.name}`;
    case 'source':
      return `source ${node.name}`;
    case 'unit_test':
      return `unit test ${node.name}`;
  }
}

/** "3d 4h", "2h 5m", "40s": an age for people. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
