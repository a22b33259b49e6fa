import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { usageError } from '../errors.js';
import type { Clock, RunStatus } from './schedule.js';

/** A source's (or model's) last freshness check in a target's `eider.freshness_results`. */
export interface FreshnessCheck {
  readonly nodeId: string;
  readonly ageS: number;
  readonly checkedAt: Date;
}

/** The Prometheus metrics of `eider schedule`, served on 127.0.0.1 only. */
export class ScheduleMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter;
  private readonly failures: Counter;
  private readonly duration: Histogram;
  private readonly lastSuccess: Gauge;
  private readonly models: Counter;
  private readonly running: Gauge;
  private readonly freshness = new Map<string, Map<string, FreshnessCheck>>();

  constructor(private readonly clock: Clock) {
    const registers = [this.registry];
    this.runs = new Counter({ name: 'eider_schedule_runs_total', help: 'Scheduled runs by how they ended: success, failed, timed_out, interrupted or skipped (its target was busy).', labelNames: ['schedule', 'target', 'status'], registers });
    this.failures = new Counter({ name: 'eider_schedule_failures_total', help: 'Scheduled runs that did not succeed (failed, timed out or interrupted), after their retries.', labelNames: ['schedule', 'target'], registers });
    this.duration = new Histogram({ name: 'eider_schedule_run_duration_seconds', help: 'How long scheduled runs took, retries included.', labelNames: ['schedule', 'target'], buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200], registers });
    this.lastSuccess = new Gauge({ name: 'eider_schedule_last_success_timestamp_seconds', help: 'When each schedule last finished a run successfully (Unix time).', labelNames: ['schedule', 'target'], registers });
    this.models = new Counter({ name: 'eider_schedule_models_built_total', help: 'Models built successfully by scheduled runs (from the target\'s eider.node_runs).', labelNames: ['schedule', 'target'], registers });
    this.running = new Gauge({ name: 'eider_schedule_running', help: 'Scheduled runs in progress, by target (0 or 1: never two on one target).', labelNames: ['target'], registers });
    const freshness = this.freshness;
    new Gauge({
      name: 'eider_source_freshness_age_seconds',
      help: 'Age of each source\'s newest data: its age at the last eider freshness check (eider.freshness_results) plus the time since.',
      labelNames: ['target', 'source'],
      registers,
      collect() {
        this.reset();
        const now = clock.now().getTime();
        for (const [target, checks] of freshness) {
          for (const c of checks.values()) this.set({ target, source: c.nodeId }, c.ageS + Math.max(0, Math.round((now - c.checkedAt.getTime()) / 1000)));
        }
      },
    });
  }

  /** Every target the schedules build shows 0 running from the start. */
  targets(names: Iterable<string>): void {
    for (const target of names) this.running.set({ target }, 0);
  }

  runStarted(target: string): void {
    this.running.set({ target }, 1);
  }

  runFinished(schedule: string, target: string, status: RunStatus, durationMs: number, modelsBuilt: number): void {
    this.running.set({ target }, 0);
    this.runs.inc({ schedule, target, status });
    this.duration.observe({ schedule, target }, durationMs / 1000);
    if (status === 'success') this.lastSuccess.set({ schedule, target }, Math.round(this.clock.now().getTime() / 1000));
    else this.failures.inc({ schedule, target });
    if (modelsBuilt > 0) this.models.inc({ schedule, target }, modelsBuilt);
  }

  runSkipped(schedule: string, target: string): void {
    this.runs.inc({ schedule, target, status: 'skipped' });
  }

  /** The target's latest freshness check of each source, as read from its history. */
  setFreshness(target: string, checks: readonly FreshnessCheck[]): void {
    this.freshness.set(target, new Map(checks.map((c) => [c.nodeId, c])));
  }

  /** Serves GET /metrics on 127.0.0.1:`port`; a port in use (or not allowed) is a command-line mistake (exit 2). */
  async serve(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('eider schedule serves Prometheus metrics at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'is in use by another process' : e.code === 'EACCES' ? 'is not allowed' : `cannot be served (${e.message})`;
        reject(usageError(`--metrics-port ${port}: 127.0.0.1:${port} ${why}: choose another port`));
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server;
  }
}
