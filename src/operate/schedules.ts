import { Cron } from 'croner';
import { didYouMean } from '../errors.js';
import type { ProjectDef } from '../project/parse.js';
import type { YamlFile, YNode } from '../project/yaml.js';

/** One entry of `schedules:` in project.yml, validated. */
export interface Schedule {
  readonly name: string;
  readonly cron: string;
  /** `--select` terms of the scheduled build (empty: the whole project). */
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  /** The target it builds; none: the profile's default target (or `eider schedule --target`). */
  readonly target?: string;
  readonly fullRefresh: boolean;
  /** `vars:` given to its build (over `eider schedule --vars`), e.g. the report day of a scheduled report. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** An IANA time zone the cron is read in (default: UTC). */
  readonly timezone?: string;
  /** The longest one attempt may take, in seconds; then the build gets SIGTERM (and SIGKILL after a grace period). */
  readonly timeoutS?: number;
  /** A run due while its target is busy: waits for it, or is skipped. */
  readonly onOverlap: 'wait' | 'skip';
  /** After downtime, the fire times missed since the last run in the target's history: run once, or skip them. */
  readonly missed: 'run_once' | 'skip';
  readonly file: string;
  readonly line: number;
  /** The line of `target:`, for the message when the profile has no such target. */
  readonly targetLine?: number;
}

const SCHEDULE_KEYS = ['name', 'cron', 'select', 'exclude', 'target', 'full_refresh', 'vars', 'timezone', 'timeout', 'on_overlap', 'missed'];
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** The schedules of a project (project.yml's `schedules:`). */
export function projectSchedules(def: Pick<ProjectDef, 'schedules'>): Schedule[] {
  return [...def.schedules];
}

/** The first fire time strictly after `after`; undefined when the cron never fires again. */
export function nextFire(s: Pick<Schedule, 'cron' | 'timezone'>, after: Date): Date | undefined {
  return cronOf(s).nextRun(after) ?? undefined;
}

/** The last fire time at or before `before`. */
export function previousFire(s: Pick<Schedule, 'cron' | 'timezone'>, before: Date): Date | undefined {
  // previousRuns looks strictly before its reference: a fire time exactly at `before` counts as passed.
  return cronOf(s).previousRuns(1, new Date(before.getTime() + 1))[0];
}

/** The next `n` fire times after `after`. */
export function nextFires(s: Pick<Schedule, 'cron' | 'timezone'>, after: Date, n: number): Date[] {
  return cronOf(s).nextRuns(n, after);
}

function cronOf(s: Pick<Schedule, 'cron' | 'timezone'>): Cron {
  return new Cron(s.cron, { paused: true, timezone: s.timezone });
}

/**
 * `schedules: [{name, cron, select, …}]` in project.yml: each mistake at its line (unknown keys with a suggestion,
 * a cron croner cannot read, an unknown time zone, a name given twice).
 */
export function parseSchedules(y: YamlFile, node: YNode | undefined): Schedule[] {
  const out: Schedule[] = [];
  for (const item of y.items(node, 'schedules')) {
    const e = y.entries(item, 'a schedule', SCHEDULE_KEYS);
    const line = item.line ?? 1;
    const name = y.string(e.get('name'), 'schedule name');
    const cron = y.string(e.get('cron'), 'cron');
    if (name === undefined || cron === undefined) {
      y.error(item, 'a schedule needs a name and a cron: {name: staging, cron: "5 * * * *", select: tag:hourly}');
      continue;
    }
    const what = `schedule "${name}"`;
    if (out.some((s) => s.name === name)) y.error(e.get('name'), `${what} is defined twice: schedule names must be unique`);
    const timezone = y.string(e.get('timezone'), `${what}: timezone`);
    if (timezone !== undefined && !validZone(timezone)) y.error(e.get('timezone'), `${what}: unknown time zone "${timezone}": use an IANA name such as Europe/Berlin or Asia/Kolkata`);
    const cronProblem = checkCron(cron, timezone !== undefined && validZone(timezone) ? timezone : undefined);
    if (cronProblem) y.error(e.get('cron'), `${what}: cron "${cron}" cannot be read: ${cronProblem}`);
    const onOverlap = choice(y, e.get('on_overlap'), `${what}: on_overlap`, ['wait', 'skip'] as const) ?? 'wait';
    const missed = choice(y, e.get('missed'), `${what}: missed`, ['run_once', 'skip'] as const) ?? 'run_once';
    out.push({
      name,
      cron,
      select: y.strings(e.get('select'), `${what}: select`) ?? [],
      exclude: y.strings(e.get('exclude'), `${what}: exclude`) ?? [],
      target: y.string(e.get('target'), `${what}: target`),
      fullRefresh: y.boolean(e.get('full_refresh'), `${what}: full_refresh`) ?? false,
      vars: varsOf(y, e.get('vars'), what),
      timezone,
      timeoutS: timeout(y, e.get('timeout'), what),
      onOverlap,
      missed,
      file: y.file,
      line,
      targetLine: y.lineOf(e.get('target')),
    });
  }
  return out;
}

/** A schedule's `vars:`: a mapping, like project.yml's. */
function varsOf(y: YamlFile, node: YNode | undefined, what: string): Record<string, unknown> | undefined {
  if (node === undefined) return undefined;
  const v = y.value(node);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  y.error(node, `${what}: vars must be a mapping, e.g. vars: {report_day: '2024-01-31'}`);
  return undefined;
}

function checkCron(cron: string, timezone: string | undefined): string | undefined {
  try {
    new Cron(cron, { paused: true, timezone }).nextRun();
    return undefined;
  } catch (e) {
    return String((e as Error).message).replace(/^CronPattern: /, '');
  }
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function choice<T extends string>(y: YamlFile, node: YNode | undefined, what: string, allowed: readonly T[]): T | undefined {
  const v = y.string(node, what);
  if (v === undefined) return undefined;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  y.error(node, `${what} must be ${allowed.join(' or ')}, not "${v}"${didYouMean(v, allowed)}`);
  return undefined;
}

/** `timeout: 1800` (seconds) or `timeout: 30m` (s, m, h). */
function timeout(y: YamlFile, node: YNode | undefined, what: string): number | undefined {
  if (node == null || node.value === null) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(String(node.value).trim());
  const seconds = m ? Number(m[1]) * UNITS[m[2] || 's'] : NaN;
  if (typeof node.value === 'boolean' || !(seconds > 0)) {
    y.error(node, `${what}: timeout must be a positive number of seconds, or a duration like 90s, 30m or 2h; got "${String(node.value)}"`);
    return undefined;
  }
  return seconds;
}
