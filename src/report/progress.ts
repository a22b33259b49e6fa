import { redact } from '../secrets.js';
import type { Node, NodeId } from '../types.js';
import type { RunStart } from './reporter.js';

/** Redraws per second at most, besides the redraw on each node's start and finish. */
const REDRAW_MS = 100;
/** Running nodes listed one a line; the rest are counted. */
const MAX_RUNNING_LINES = 6;

const ESC = '\x1b[';

/**
 * Whether a live progress area may be drawn on `out`: a terminal that takes cursor movement, and no one asked for
 * plain output (NO_COLOR non-empty, CI=true, TERM=dumb).
 */
export function progressWanted(out: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb' && !/^(true|1)$/i.test(env.CI ?? '');
}

/**
 * The live status area at the bottom of a terminal while a run executes: the nodes running now (name, elapsed),
 * done/total, and an ETA from the run history's median durations. Lines printed while it is shown go above it:
 * `above` erases it, prints, and draws it again. `stop` erases it for good and ends its timer.
 */
export class ProgressArea {
  private readonly running = new Map<NodeId, { name: string; since: number }>();
  private readonly pending: Set<NodeId>;
  /** Expected milliseconds of each node of the run; undefined when no node of it has history. */
  private readonly expected: ReadonlyMap<NodeId, number> | undefined;
  private readonly total: number;
  private readonly threads: number;
  private done = 0;
  /** The lines shown now (none: not shown). */
  private shown: readonly string[] = [];
  /** Nesting of `above` calls: the area is drawn again when the outermost ends. */
  private depth = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    run: RunStart,
  ) {
    this.pending = new Set(run.nodes.map((n) => n.id));
    this.total = run.nodes.length;
    this.threads = Math.max(1, run.threads);
    this.expected = expectedDurations(run.nodes, run.history);
    // The timer never keeps the process alive: a run that ends (or dies) without `stop` still exits.
    this.timer = setInterval(() => this.redraw(), REDRAW_MS).unref();
    this.draw();
  }

  started(node: Node): void {
    this.pending.delete(node.id);
    this.running.set(node.id, { name: node.name, since: performance.now() });
    this.redraw();
  }

  /** A node's result: `index` of the run's results so far. */
  finished(node: Node, index: number): void {
    this.pending.delete(node.id);
    this.running.delete(node.id);
    this.done = index;
    this.redraw();
  }

  /** Prints what `print` writes above the area: the area is erased first and drawn again below it. */
  above(print: () => void): void {
    if (this.depth++ === 0) this.erase();
    try {
      print();
    } finally {
      if (--this.depth === 0 && this.timer) this.draw();
    }
  }

  /** Erases the area and ends its timer; the terminal is left as if the area had never been drawn. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
  }

  /** Draws the area again, unless it would show what it shows now. */
  private redraw(): void {
    if (this.depth > 0 || !this.timer) return;
    const lines = this.render();
    if (lines.join('\n') === this.shown.join('\n')) return;
    this.erase();
    this.draw(lines);
  }

  private erase(): void {
    if (this.shown.length === 0) return;
    // To the first column of the area's first row, then clear to the end of the screen.
    this.out.write(`\r${ESC}${this.shown.length}A${ESC}J`);
    this.shown = [];
  }

  private draw(lines = this.render()): void {
    this.out.write(lines.map((l) => `${l}\n`).join(''));
    this.shown = lines;
  }

  /** The area's lines, each cut to the terminal's width. */
  private render(): string[] {
    const width = Math.max(20, (this.out.columns || 80) - 1);
    return this.lines().map((l) => clip(redact(l), width));
  }

  /** `3/12 done · 2 running · ETA 14s`, then one line per running node: `  ▸ stg_orders 3.2s`. */
  private lines(): string[] {
    const now = performance.now();
    const eta = this.eta(now);
    const head = [`${this.done}/${this.total} done`, `${this.running.size} running`, ...(eta === undefined ? [] : [`ETA ${formatEta(eta)}`])].join(' · ');
    const running = [...this.running.values()];
    const shown = running.length > MAX_RUNNING_LINES ? running.slice(0, MAX_RUNNING_LINES - 1) : running;
    const nameWidth = Math.max(0, ...shown.map((r) => r.name.length));
    return [
      head,
      ...shown.map((r) => `  ▸ ${r.name.padEnd(nameWidth)} ${((now - r.since) / 1000).toFixed(1)}s`),
      ...(shown.length < running.length ? [`  … and ${running.length - shown.length} more`] : []),
    ];
  }

  /**
   * Milliseconds left: the expected time of the nodes not started and what is left of the running ones, spread
   * over the run's threads, but never less than the longest running node still needs.
   */
  private eta(now: number): number | undefined {
    const expected = this.expected;
    if (!expected || this.pending.size + this.running.size === 0) return undefined;
    let left = 0;
    let longest = 0;
    for (const id of this.pending) left += expected.get(id) ?? 0;
    for (const [id, r] of this.running) {
      const rest = Math.max(0, (expected.get(id) ?? 0) - (now - r.since));
      left += rest;
      longest = Math.max(longest, rest);
    }
    return Math.max(longest, left / this.threads);
  }
}

/** Each node's median duration from history; a node without history counts the median of the others. */
function expectedDurations(nodes: readonly Node[], history: ReadonlyMap<NodeId, number> | undefined): ReadonlyMap<NodeId, number> | undefined {
  const known = nodes.flatMap((n) => (history?.has(n.id) ? [history.get(n.id)!] : []));
  if (known.length === 0) return undefined;
  const fallback = median(known);
  return new Map(nodes.map((n) => [n.id, history?.get(n.id) ?? fallback]));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `<1s`, `14s`, `2m05s`, `1h02m`. */
function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return '<1s';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** Cut to the terminal's width, so no line wraps (a wrapped line would take a row the erase does not count). */
function clip(line: string, width: number): string {
  const chars = [...line];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : line;
}
