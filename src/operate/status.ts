import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { relationKey, type Session } from '../adapter/adapter.js';
import type { CatalogRelation } from '../artifacts/catalog.js';
import { usageError } from '../errors.js';
import { select, type SelectMethods } from '../graph/select.js';
import type { Dag } from '../graph/dag.js';
import { formatBytes } from '../publish/compact.js';
import { quoteLiteral, type Manifest, type NodeId } from '../types.js';
import { alertStatePath } from './alerts/state.js';
import { HEALTH_VIEW_NAMES } from './health.js';

/** `eider status --format json`: its `schema_version`. */
export const STATUS_SCHEMA_VERSION = 1;

/** What `eider status` needs of a schedule (operate/schedules.ts `Schedule`, with its previous fire bound). */
export interface ScheduleLike {
  readonly name: string;
  readonly select: readonly string[];
  readonly exclude: readonly string[];
  readonly target?: string;
  /** The schedule's last fire time before `before`, or undefined when it never fired. */
  previousFire(before: Date): Date | undefined;
}

/** An open alert, as the alerts worker keeps it in target/alerts/<target>.json. */
export interface OpenAlert {
  readonly key: string;
  readonly rule: string;
  readonly severity: string;
  readonly target: string;
  readonly node_id?: string;
  readonly message: string;
  readonly opened_at: string;
  readonly last_sent_at: string;
}

/** One row of `eider.model_health`. */
export interface ModelHealth {
  readonly node_id: string;
  readonly model: string;
  readonly resource_type: string;
  readonly last_success_at: string | null;
  readonly last_duration_ms: number | null;
  readonly median_duration_ms: number | null;
  readonly runs_7d: number;
  readonly failures_7d: number;
  readonly last_status: string;
}

export interface OnSchedule {
  /** Nodes some schedule selects; the others are not counted. */
  readonly counted: number;
  readonly on_time: number;
  /** on_time / counted × 100, or null when no schedule selects a node. */
  readonly percent: number | null;
  readonly late: ReadonlyArray<{ readonly unique_id: string; readonly name: string; readonly schedule: string; readonly due_since: string; readonly last_success_at: string | null }>;
}

/** The schedules' previous fire and the interval before it: the most frequent schedule has the shortest. */
function lastFire(s: ScheduleLike, now: Date): { at: Date; every: number } | undefined {
  const at = s.previousFire(now);
  if (!at) return undefined;
  // previousFire is "at or before": the one before `at` is looked up just before it.
  const before = s.previousFire(new Date(at.getTime() - 1));
  return { at, every: before ? at.getTime() - before.getTime() : Number.POSITIVE_INFINITY };
}

/**
 * "% of models updated on schedule": a model (seed, snapshot) some schedule selects is on schedule when its last
 * success is newer than that schedule's previous fire; selected by several, the most frequent one's (ties: the
 * latest fire). A node no schedule selects, or whose schedules never fired yet, is not counted.
 */
export function onSchedule(manifest: Manifest, dag: Dag, schedules: readonly ScheduleLike[], lastSuccess: ReadonlyMap<NodeId, string | null>, now: Date, methods: SelectMethods = {}): OnSchedule {
  const due = new Map<NodeId, { schedule: string; at: Date; every: number }>();
  for (const s of schedules) {
    const fire = lastFire(s, now);
    if (!fire) continue;
    for (const id of select(manifest, dag, s.select.length > 0 ? s.select : undefined, s.exclude.length > 0 ? s.exclude : undefined, `schedule ${s.name}`, methods)) {
      if (!builds(manifest, id)) continue;
      const was = due.get(id);
      if (!was || fire.every < was.every || (fire.every === was.every && fire.at > was.at)) due.set(id, { schedule: s.name, ...fire });
    }
  }
  const late: Array<OnSchedule['late'][number]> = [];
  for (const [id, d] of due) {
    const last = lastSuccess.get(id) ?? null;
    if (last === null || new Date(last) <= d.at) late.push({ unique_id: id, name: manifest.nodes[id].name, schedule: d.schedule, due_since: d.at.toISOString(), last_success_at: last });
  }
  late.sort((a, b) => a.name.localeCompare(b.name));
  const counted = due.size;
  return { counted, on_time: counted - late.length, percent: counted === 0 ? null : Math.round(((counted - late.length) / counted) * 1000) / 10, late };
}

/** A node a build writes into the target: a model (not ephemeral), a snapshot, a seed. */
function builds(manifest: Manifest, id: NodeId): boolean {
  const n = manifest.nodes[id];
  return n.kind === 'seed' || (n.kind === 'model' && n.materialized !== 'ephemeral');
}

/** The open alerts of `target/alerts/<target>.json` (`shown`: its path for messages); none when the file is absent. */
/** What `eider status` shows of an open alert: each must be a string. */
const ALERT_FIELDS = ['rule', 'severity', 'message', 'opened_at'] as const;

export function readOpenAlerts(targetDir: string, target: string, shown: string): OpenAlert[] {
  const path = alertStatePath(targetDir, target);
  if (!existsSync(path)) return [];
  let body: { open?: unknown };
  try {
    body = JSON.parse(readFileSync(path, 'utf8')) as { open?: unknown };
  } catch (e) {
    throw usageError(`not the alert state eider writes (${(e as Error).message}): delete it and the next alert check writes it again`, shown);
  }
  if (!Array.isArray(body?.open)) throw usageError('not the alert state eider writes (no "open" list): delete it and the next alert check writes it again', shown);
  body.open.forEach((entry: unknown, i) => {
    const missing = ALERT_FIELDS.find((k) => typeof (entry as Record<string, unknown> | null)?.[k] !== 'string');
    if (missing) throw usageError(`not the alert state eider writes (open alert ${i + 1} has no ${missing}): delete it and the next alert check writes it again`, shown);
  });
  return body.open as OpenAlert[];
}

/** JSON-safe values from DuckDB: bigints as numbers, timestamps as ISO strings. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

async function rows(s: Session, sql: string): Promise<Record<string, unknown>[]> {
  return (await s.query(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
}

export interface StatusInput {
  readonly session: Session;
  readonly manifest: Manifest;
  readonly dag: Dag;
  readonly path: string;
  /** The path as shown to the user (relative, or redacted). */
  readonly shownPath: string;
  readonly relations: readonly CatalogRelation[];
  readonly schedules: readonly ScheduleLike[];
  readonly alerts: readonly OpenAlert[];
  readonly days: number;
  readonly now: Date;
  readonly methods?: SelectMethods;
  readonly eiderVersion: string;
}

/** The document `eider status --format json` prints (snake_case; README "eider status and health views"). */
export async function readStatus(input: StatusInput): Promise<Record<string, unknown>> {
  const { session: s, days, now } = input;
  const since = new Date(now.getTime() - days * 86_400_000);
  const history = await hasHealthViews(s);
  const models = history ? ((await rows(s, `select * from eider.model_health order by model, node_id`)) as unknown as ModelHealth[]) : [];
  const fresh = history ? await rows(s, `select relation, last_refreshed_at, age_s from eider.relation_freshness`) : [];
  const freshness = new Map(fresh.map((r) => [String(r.relation), r]));
  const release = history ? ((await rows(s, `select release, published_at, status, command from eider.release_health where status in ('published', 'in_place') order by published_at desc limit 1`))[0] ?? null) : null;
  const sizes = history ? await rows(s, `select release, published_at, file_bytes from eider.release_health where status in ('published', 'in_place') and file_bytes is not null order by published_at`) : [];
  // Growth compares sizes measured the same way at the same point of a build (each release records its file's
  // blocks just before its history is written): the newest release's against the baseline's. A file without
  // recorded sizes falls back to its blocks now.
  const [{ blocks }] = await rows(s, `select total_blocks * block_size as blocks from pragma_database_size() where database_name = current_database()`);
  const bytes_now = sizes.length > 0 ? Number(sizes.at(-1)!.file_bytes) : Number(blocks);
  const then = sizes.filter((r) => String(r.published_at) <= since.toISOString()).at(-1) ?? sizes.find((r) => String(r.published_at) > since.toISOString());
  const tests = history
    ? (await rows(
        s,
        `select count(*) filter (where status <> 'skipped') as runs, count(*) filter (where status in ('fail', 'error')) as failures, count(*) filter (where status = 'warn') as warnings from eider.test_results where started_at >= ${quoteLiteral(since.toISOString())}::timestamptz`,
      ))[0]
    : { runs: 0, failures: 0, warnings: 0 };
  const failing = history ? await rows(s, `select node_id as unique_id, test as name, runs_7d, failures_7d, last_status from eider.test_health where failures_7d > 0 or last_status in ('fail', 'error') order by failures_7d desc, test`) : [];
  const schemas = new Map<string, Record<string, unknown>[]>();
  for (const r of input.relations) {
    const f = freshness.get(relationKey(r));
    if (!schemas.has(r.schema)) schemas.set(r.schema, []);
    schemas.get(r.schema)!.push({ name: r.name, type: r.type, rows: r.rowCount, bytes: r.bytes, last_refreshed_at: f?.last_refreshed_at ?? null, age_s: f?.age_s ?? null });
  }
  const present = models.filter((m) => m.node_id in input.manifest.nodes);
  const lastSuccess = new Map(models.map((m) => [m.node_id, m.last_success_at]));
  return {
    schema_version: STATUS_SCHEMA_VERSION,
    eider_version: input.eiderVersion,
    generated_at: now.toISOString(),
    target: input.manifest.target.name,
    state: 'built',
    days,
    history: history ? 'recorded' : 'none',
    file: {
      path: input.shownPath,
      bytes: statSync(input.path).size,
      wal_bytes: existsSync(`${input.path}.wal`) ? statSync(`${input.path}.wal`).size : 0,
      growth: then ? { since: then.published_at, release: then.release, bytes_then: then.file_bytes, bytes_now, bytes: Number(bytes_now) - Number(then.file_bytes) } : null,
      sizes,
    },
    release: release ? { release_id: release.release, published_at: release.published_at, status: release.status, command: release.command } : null,
    schemas: [...schemas].map(([schema, relations]) => ({ schema, relations })),
    models,
    on_schedule: onSchedule(input.manifest, input.dag, input.schedules, lastSuccess, now, input.methods),
    tests: { runs: tests.runs, failures: tests.failures, warnings: tests.warnings, failure_rate: Number(tests.runs) > 0 ? Number(tests.failures) / Number(tests.runs) : null, failing },
    slowest: present
      .filter((m) => m.median_duration_ms !== null)
      .sort((a, b) => b.median_duration_ms! - a.median_duration_ms! || a.model.localeCompare(b.model))
      .slice(0, SLOWEST)
      .map((m) => ({ unique_id: m.node_id, name: m.model, median_duration_ms: m.median_duration_ms, last_duration_ms: m.last_duration_ms })),
    alerts: input.alerts,
  };
}

/** How many of the slowest models status lists. */
export const SLOWEST = 10;

/** A file built by an eider without the health views (they come with its next build). */
async function hasHealthViews(s: Session): Promise<boolean> {
  const [r] = await s.query(`select count(*)::int as n from duckdb_views() where database_name = current_database() and schema_name = 'eider' and view_name in (${HEALTH_VIEW_NAMES.map(quoteLiteral).join(', ')})`);
  return Number(r.n) === HEALTH_VIEW_NAMES.length;
}

/** The document for a target whose file does not exist yet. */
export function neverBuilt(target: string, shownPath: string, now: Date, eiderVersion: string, alerts: readonly OpenAlert[]): Record<string, unknown> {
  return { schema_version: STATUS_SCHEMA_VERSION, eider_version: eiderVersion, generated_at: now.toISOString(), target, state: 'never_built', file: { path: shownPath, bytes: null }, alerts };
}

// ---- text ----

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`);
const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const signed = (n: number) => `${n < 0 ? '-' : '+'}${formatBytes(Math.abs(n))}`;

function age(s: number | null | undefined): string {
  if (s === null || s === undefined) return '-';
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** Aligned columns, numbers (cells starting with a digit or "-") right-aligned. */
function columns(header: readonly string[], body: ReadonlyArray<readonly string[]>, indent = '  '): string[] {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const right = header.map((_, i) => body.length > 0 && body.every((r) => /^[-\d]/.test(r[i]) && !/^\d{4}-/.test(r[i])));
  return all.map((r) => `${indent}${r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd());
}

/** `eider status` for people. */
export function formatStatus(d: Doc): string[] {
  if (d.state === 'never_built') {
    return [`Target ${d.target} has never been built: there is no file at ${d.file.path} (eider build creates it).`, ...formatAlerts(d.alerts)];
  }
  const out: string[] = [];
  const g = d.file.growth;
  const growth = g ? `, ${signed(g.bytes)} since ${when(g.since)} (release ${g.release})` : '';
  out.push(`Target ${d.target}: ${d.file.path}, ${formatBytes(d.file.bytes)}${d.file.wal_bytes > 0 ? ` (+ ${formatBytes(d.file.wal_bytes)} WAL)` : ''}${growth}`);
  if (d.history === 'none') out.push('No run history with health views in this file yet: the next build records it.');
  out.push(d.release ? `BI tools see release ${d.release.release_id}, published ${when(d.release.published_at)} (${d.release.command}).` : 'No release is recorded in this file.');
  out.push('', 'Relations:');
  const relations = d.schemas.flatMap((s: Doc) => s.relations.map((r: Doc) => [`${s.schema}.${r.name}`, r.type, r.rows === null ? '-' : String(r.rows), r.bytes === null ? '-' : formatBytes(r.bytes), when(r.last_refreshed_at), age(r.age_s)]));
  out.push(...columns(['relation', 'type', 'rows', 'bytes', 'refreshed', 'age'], relations));
  if (d.models.length > 0) {
    out.push('', 'Models:');
    out.push(...columns(['name', 'last success', 'last', 'median', `runs 7d`, 'failed 7d', 'last status'], d.models.map((m: Doc) => [m.model, when(m.last_success_at), ms(m.last_duration_ms), ms(m.median_duration_ms), String(m.runs_7d), String(m.failures_7d), m.last_status])));
  }
  const o = d.on_schedule;
  out.push('', o.percent === null ? 'On schedule: no schedule selects a model that has fired yet.' : `On schedule: ${o.on_time} of ${o.counted} models (${o.percent}%).`);
  for (const l of o.late) out.push(`  late: ${l.name} (schedule ${l.schedule} fired ${when(l.due_since)}, last success ${when(l.last_success_at)})`);
  const t = d.tests;
  out.push(`Tests, last ${d.days} day${d.days === 1 ? '' : 's'}: ${t.runs} run${t.runs === 1 ? '' : 's'}, ${t.failures} failed${t.warnings > 0 ? `, ${t.warnings} warned` : ''}${t.failure_rate === null ? '' : ` (failure rate ${(t.failure_rate * 100).toFixed(1)}%)`}.`);
  for (const f of t.failing) out.push(`  failing: ${f.name} (${f.failures_7d} of ${f.runs_7d} runs in 7 days, last ${f.last_status})`);
  if (d.slowest.length > 0) {
    out.push('', `Slowest models (median of the last successful runs):`);
    out.push(...columns(['name', 'median', 'last'], d.slowest.map((m: Doc) => [m.name, ms(m.median_duration_ms), ms(m.last_duration_ms)])));
  }
  out.push('', ...formatAlerts(d.alerts));
  return out;
}

function formatAlerts(alerts: readonly OpenAlert[]): string[] {
  if (alerts.length === 0) return ['Open alerts: none.'];
  return [`Open alerts (${alerts.length}):`, ...alerts.map((a) => `  ${a.severity} ${a.rule}: ${a.message} (open since ${when(a.opened_at)})`)];
}
