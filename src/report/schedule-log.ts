import type { ScheduleEvent } from '../operate/schedule.js';
import { redact, redactDeep } from '../secrets.js';
import type { LogFormat } from './reporter.js';

/**
 * `eider schedule`'s log: one line per event, stamped with the scheduler's clock. Text for people on stdout, or
 * (`--log-format json`) one JSON object per line: `event` is `schedule_<kind>` (`scheduler_…` for the process).
 */
export class ScheduleLog {
  constructor(
    readonly format: LogFormat,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  event(e: ScheduleEvent): void {
    if (this.format === 'json') this.out.write(`${JSON.stringify(redactDeep(jsonOf(e)))}\n`);
    else this.out.write(`${redact(`${iso(e.at)} ${textOf(e)}`)}\n`);
  }

  /** A line a scheduled build printed, passed through with its schedule (a JSON event gains a `schedule` field). */
  child(schedule: string, line: string, stream: 'stdout' | 'stderr'): void {
    if (this.format === 'text') return void this.out.write(`${redact(`  [${schedule}] ${line}`)}\n`);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...(parsed as Record<string, unknown>), schedule } : { event: 'message', schedule, message: line };
    } catch {
      body = { event: 'message', level: stream === 'stderr' ? 'error' : 'info', schedule, message: line };
    }
    this.out.write(`${JSON.stringify(redactDeep(body))}\n`);
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function textOf(e: ScheduleEvent): string {
  switch (e.kind) {
    case 'scheduler_started':
      return `scheduler started: ${e.schedules} schedule${e.schedules === 1 ? '' : 's'}`;
    case 'scheduler_stopping':
      return `scheduler stopping (${e.signal}): no new run starts; ${e.running} running build${e.running === 1 ? '' : 's'} signalled to stop (nothing half-published), ${e.waiting} waiting run${e.waiting === 1 ? '' : 's'} dropped`;
    case 'scheduler_stopped':
      return 'scheduler stopped';
    case 'started':
      return `${e.schedule} on ${e.target}: run started (attempt ${e.attempt} of ${e.attempts}, due ${iso(e.due)})`;
    case 'retried':
      return `${e.schedule} on ${e.target}: run failed with exit code ${e.exitCode}; retried: attempt ${e.attempt} of ${e.attempts} in ${e.waitMs} ms`;
    case 'timed_out':
      return `${e.schedule} on ${e.target}: run timed out after ${e.timeoutS}s: SIGTERM sent (SIGKILL in ${e.graceMs / 1000}s if it has not stopped)`;
    case 'waiting':
      return `${e.schedule} on ${e.target}: run due ${iso(e.due)} waiting: ${e.reason} (on_overlap: wait)`;
    case 'skipped':
      return `${e.schedule} on ${e.target}: run due ${iso(e.due)} skipped: ${e.reason}`;
    case 'missed':
      return `${e.schedule} on ${e.target}: missed the run due ${iso(e.due)} (last run ${iso(e.lastRun)}): ${e.policy === 'run_once' ? 'running it once now (missed: run_once)' : 'not running it (missed: skip)'}`;
    case 'finished': {
      const release = e.release ? `release ${e.release}` : 'no release';
      const sees =
        e.status === 'success'
          ? `${release} is current`
          : !e.swap
            ? `built in place: models this run finished are in the target (last whole run: ${e.release ?? 'none'})`
            : e.release
              ? `nothing was published: ${release} stays current (BI tools see it)`
              : 'nothing was published: the target has no release yet';
      return `${e.schedule} on ${e.target}: run finished: ${e.status}, exit code ${e.exitCode}, ${seconds(e.durationMs)}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}; ${sees}`;
    }
  }
}

function jsonOf(e: ScheduleEvent): Record<string, unknown> {
  const base = { ts: e.at.toISOString() };
  switch (e.kind) {
    case 'scheduler_started':
      return { event: e.kind, ...base, schedules: e.schedules };
    case 'scheduler_stopping':
      return { event: e.kind, ...base, signal: e.signal, running: e.running, waiting: e.waiting };
    case 'scheduler_stopped':
      return { event: e.kind, ...base };
    case 'started':
      return { event: 'schedule_run_started', ...base, schedule: e.schedule, target: e.target, attempt: e.attempt, attempts: e.attempts, due_at: e.due.toISOString() };
    case 'retried':
      return { event: 'schedule_run_retried', ...base, schedule: e.schedule, target: e.target, attempt: e.attempt, attempts: e.attempts, exit_code: e.exitCode, wait_ms: e.waitMs };
    case 'timed_out':
      return { event: 'schedule_run_timed_out', ...base, schedule: e.schedule, target: e.target, timeout_s: e.timeoutS, kill_grace_ms: e.graceMs };
    case 'waiting':
    case 'skipped':
      return { event: `schedule_run_${e.kind}`, ...base, schedule: e.schedule, target: e.target, due_at: e.due.toISOString(), reason: e.reason };
    case 'missed':
      return { event: 'schedule_run_missed', ...base, schedule: e.schedule, target: e.target, due_at: e.due.toISOString(), last_run_at: e.lastRun.toISOString(), policy: e.policy };
    case 'finished':
      return { event: 'schedule_run_finished', ...base, schedule: e.schedule, target: e.target, status: e.status, exit_code: e.exitCode, duration_ms: Math.round(e.durationMs), attempts: e.attempts, release_id: e.release ?? null, publish_mode: e.swap ? 'swap' : 'in_place' };
  }
}

/** One schedule as `eider schedule --list` shows it. */
export interface ListedSchedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone?: string;
  readonly target: string;
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  readonly fullRefresh: boolean;
  readonly next: readonly Date[];
}

/** `--list`: each schedule, its target and selection, and its next fire times in its own time zone. */
export function printScheduleList(list: readonly ListedSchedule[], format: LogFormat, out: NodeJS.WritableStream = process.stdout): void {
  for (const s of list) {
    if (format === 'json') {
      out.write(`${JSON.stringify(redactDeep({ event: 'schedule', name: s.name, cron: s.cron, timezone: s.timezone ?? 'UTC', target: s.target, select: s.select, exclude: s.exclude, full_refresh: s.fullRefresh, next_runs: s.next.map((d) => d.toISOString()) }))}\n`);
      continue;
    }
    const zone = s.timezone ?? 'UTC';
    const exclude = s.exclude.length > 0 ? ` exclude ${s.exclude.join(' ')}` : '';
    out.write(redact(`${s.name}: "${s.cron}" (${zone}) on ${s.target}, select ${s.select.length > 0 ? s.select.join(' ') : 'everything'}${exclude}${s.fullRefresh ? ', full refresh' : ''}\n`));
    out.write(`  next: ${s.next.length > 0 ? s.next.map((d) => `${localTime(d, zone)} ${zone}`).join(', ') : 'never'}\n`);
  }
}

/** `2026-01-01 01:05` in `zone`. */
function localTime(d: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
