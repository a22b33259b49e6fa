import type { Diagnostic } from '../errors.js';
import type { FreshnessResult } from '../execute/freshness.js';
import { redactDeep } from '../secrets.js';
import { displayRelation, type Node, type NodeResult, type NodeStatus } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import type { Reporter, RunStart } from './reporter.js';

const STATUSES: readonly NodeStatus[] = ['success', 'pass', 'warn', 'fail', 'error', 'skipped'];

/**
 * `--log-format json`: one JSON object per line on stdout for each event, and nothing else (no colors, no lines
 * for people). Every object has `event` and `ts`; values are redacted before they are serialized.
 */
export class JsonLogReporter implements Reporter {
  readonly live = false;
  private readonly started = performance.now();
  private invocationId: string | undefined;
  private finished: { counts: Record<NodeStatus, number>; elapsedMs: number } | undefined;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  private emit(event: string, fields: Record<string, unknown>): void {
    const body = { event, ts: new Date().toISOString(), ...(this.invocationId ? { invocation_id: this.invocationId } : {}), ...fields };
    this.out.write(`${JSON.stringify(redactDeep(body))}\n`);
  }

  line(text = ''): void {
    const message = text.trim();
    if (message) this.emit('message', { level: 'info', message });
  }

  errorLine(text: string): void {
    const message = text.trim();
    if (message) this.emit('message', { level: 'error', message });
  }

  warning(message: string): void {
    this.emit('diagnostic', { severity: 'warning', message, file: null, line: null });
  }

  diagnostics(list: readonly Diagnostic[]): void {
    for (const d of list) this.emit('diagnostic', { severity: d.severity, message: d.message, file: d.file ?? null, line: d.line ?? null });
  }

  runStarted(run: RunStart): void {
    this.invocationId = run.invocationId;
    // Every kind a run executes is counted, none as 0, so a consumer reads each key without a default.
    const selected: Record<string, number> = { model: 0, seed: 0, test: 0, unit_test: 0 };
    for (const n of run.nodes) selected[n.kind] = (selected[n.kind] ?? 0) + 1;
    this.emit('run_started', { command: run.command, project: run.project, target: run.target, eider_version: EIDER_VERSION, threads: run.threads, swap_publish: run.swap, total: run.nodes.length, selected });
  }

  runEnded(): void {}

  nodeStarted(node: Node): void {
    this.emit('node_started', { ...nodeFields(node) });
  }

  nodeResult(r: NodeResult, node: Node, index: number, total: number): void {
    this.emit('node_finished', {
      ...nodeFields(node),
      index,
      total,
      status: r.status,
      started_at: r.startedAt,
      duration_ms: Math.round(r.durationMs),
      rows: r.rows ?? null,
      rows_expired: r.expired ?? null,
      rows_erased: r.erased ?? null,
      failures: r.failures ?? null,
      failing_rows: r.sample ?? null,
      message: r.message,
      error: r.error ?? null,
      detail: r.detail ?? null,
    });
  }

  freshness(results: readonly FreshnessResult[]): void {
    for (const r of results) {
      this.emit('freshness_result', {
        unique_id: r.nodeId,
        name: r.source,
        status: r.status,
        max_loaded_at: r.newest?.toISOString() ?? null,
        age_s: r.ageMs !== undefined ? Math.round(r.ageMs / 1000) : null,
        measured_by: r.basis,
        warn_after: r.criteria.warnAfter ?? null,
        error_after: r.criteria.errorAfter ?? null,
        error: r.error ?? null,
      });
    }
  }

  summary(results: readonly NodeResult[], elapsedMs: number): void {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
    for (const r of results) counts[r.status]++;
    this.finished = { counts, elapsedMs };
  }

  exit(code: number): void {
    const counts = this.finished?.counts ?? Object.fromEntries(STATUSES.map((s) => [s, 0]));
    this.emit('run_finished', { exit_code: code, elapsed_ms: Math.round(this.finished?.elapsedMs ?? performance.now() - this.started), counts });
  }
}

function nodeFields(node: Node): Record<string, unknown> {
  const relation = node.kind === 'model' || node.kind === 'seed' ? displayRelation(node.relation) : null;
  return { unique_id: node.id, name: node.name, resource_type: node.kind, relation };
}
