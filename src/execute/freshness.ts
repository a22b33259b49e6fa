import { existsSync, statSync } from 'node:fs';
import type { Session } from '../adapter/adapter.js';
import { DuckDbAdapter, ExtensionMissing, targetOptions, type OpenOptions } from '../adapter/duckdb.js';
import { databaseKind } from '../adapter/databases.js';
import { extensionError } from '../publish/in-place.js';
import { redact } from '../secrets.js';
import { quoteLiteral, type ModelNode, type Period, type SourceNode, type TargetDef } from '../types.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { sqlErrorMessage } from './sql-errors.js';

export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export interface FreshnessResult {
  readonly nodeId: string;
  /** `vyapar.orders` for a source, `model fct_orders` for a model. */
  readonly source: string;
  /** The newest load: max(loaded_at_field), or the newest file's modification time. */
  readonly newest?: Date;
  readonly ageMs?: number;
  readonly status: FreshnessStatus;
  readonly criteria: { readonly warnAfter?: Period; readonly errorAfter?: Period };
  readonly basis: 'column' | 'file mtime' | 'last build';
  readonly error?: string;
}

const MS: Record<Period['period'], number> = { minute: 60e3, hour: 3600e3, day: 86400e3, week: 7 * 86400e3, month: 30 * 86400e3, year: 365 * 86400e3 };

export function periodMs(p: Period): number {
  return p.count * MS[p.period];
}

/** Sources the freshness check applies to: a rule, and something to measure (a column, or files). */
export function hasFreshness(s: SourceNode): boolean {
  return Boolean(s.freshness && (s.freshness.warnAfter || s.freshness.errorAfter) && (s.freshness.loadedAtField || s.files));
}

/**
 * Measures each source's newest load: file sources by the newest matching file's mtime (globbed by DuckDB),
 * table sources by `max(loaded_at_field)` read from the target (`warehouse` is only needed for those).
 */
export async function checkFreshness(sources: readonly SourceNode[], files: Session, warehouse: Session | undefined, now = new Date()): Promise<FreshnessResult[]> {
  const out: FreshnessResult[] = [];
  for (const s of sources) {
    const rule = s.freshness!;
    const criteria = { warnAfter: rule.warnAfter, errorAfter: rule.errorAfter };
    const byColumn = Boolean(rule.loadedAtField);
    const basis = byColumn ? 'column' : 'file mtime';
    try {
      let newest: Date | undefined;
      if (byColumn) {
        // Files and attached databases are read from the in-memory session; the target's tables from the target.
        const session = s.files || s.relation?.catalog !== undefined ? files : warehouse;
        if (!session) throw new Error('the target database does not exist yet');
        const rows = await session.query(`select max(${rule.loadedAtField}) as newest from ${s.sql} as eider_source`);
        const v = rows[0]?.newest;
        newest = v === null || v === undefined ? undefined : v instanceof Date ? v : new Date(String(v));
      } else {
        const rows = await files.query(`select file from glob(${quoteLiteral(s.files!.path)})`);
        const times = rows.map((r) => statSync(String(r.file)).mtimeMs);
        newest = times.length > 0 ? new Date(Math.max(...times)) : undefined;
      }
      if (!newest || Number.isNaN(newest.getTime())) {
        out.push({ nodeId: s.id, source: s.name, status: 'error', criteria, basis, error: byColumn ? 'no rows to measure' : `no files match ${s.files!.path}` });
        continue;
      }
      const ageMs = now.getTime() - newest.getTime();
      const status: FreshnessStatus =
        rule.errorAfter && ageMs > periodMs(rule.errorAfter) ? 'error' : rule.warnAfter && ageMs > periodMs(rule.warnAfter) ? 'warn' : 'pass';
      out.push({ nodeId: s.id, source: s.name, newest, ageMs, status, criteria, basis });
    } catch (e) {
      // A loaded_at_field naming no column (or not an expression) is the source's declaration's mistake: said there.
      const what = byColumn ? `loaded_at_field ${rule.loadedAtField}: ` : '';
      out.push({ nodeId: s.id, source: s.name, status: 'runtime error', criteria, basis, error: redact(`${s.origin.file}:${s.origin.line}: ${what}${sqlErrorMessage(String((e as Error).message))}`) });
    }
  }
  return out;
}

/** Models with a freshness SLA, judged by their last successful build in the target's run history. */
export async function checkModelFreshness(models: readonly ModelNode[], warehouse: Session | undefined, now = new Date()): Promise<FreshnessResult[]> {
  const out: FreshnessResult[] = [];
  for (const m of models) {
    const rule = m.freshness!;
    const criteria = { warnAfter: rule.warnAfter, errorAfter: rule.errorAfter };
    const base = { nodeId: m.id, source: `model ${m.name}`, criteria, basis: 'last build' as const };
    let newest: Date | undefined;
    try {
      const rows = warehouse
        ? await warehouse.query(`select max(started_at + to_milliseconds(cast(duration_ms as bigint))) as last from ${HISTORY_SCHEMA}.node_runs where node_id = ${quoteLiteral(m.id)} and status = 'success'`)
        : [];
      const v = rows[0]?.last;
      newest = v === null || v === undefined ? undefined : new Date(v as Date);
    } catch {
      newest = undefined; // no history in this file yet
    }
    if (!newest) {
      out.push({ ...base, status: 'error', error: 'no successful build of this model is recorded in the target' });
      continue;
    }
    const ageMs = now.getTime() - newest.getTime();
    const status: FreshnessStatus = rule.errorAfter && ageMs > periodMs(rule.errorAfter) ? 'error' : rule.warnAfter && ageMs > periodMs(rule.warnAfter) ? 'warn' : 'pass';
    out.push({ ...base, newest, ageMs, status });
  }
  return out;
}

/**
 * Opens what the check needs: an in-memory DuckDB for files and the profile's attached databases (read-only),
 * and the target read-only for its own table sources and model history.
 */
export async function measureFreshness(target: TargetDef, sources: readonly SourceNode[], models: readonly ModelNode[] = []): Promise<FreshnessResult[]> {
  const { attach, extensions } = targetOptions(target);
  const open = (o: OpenOptions) => DuckDbAdapter.open(o).catch((e: unknown) => {
    throw e instanceof ExtensionMissing ? extensionError(target, e) : e;
  });
  const files = await open({ path: ':memory:', threads: 1, readOnly: true, attach, extensions });
  const kind = databaseKind(target.path);
  const exists = kind === 'file' ? existsSync(target.path) : kind !== 'memory';
  const needsWarehouse = (models.length > 0 || sources.some((s) => !s.files && s.relation?.catalog === undefined)) && exists;
  const warehouse = needsWarehouse ? await open({ path: target.path, threads: 1, readOnly: true, ...targetOptions(target), attach: [] }).catch(async (e: unknown) => {
    await files.close();
    throw e;
  }) : undefined;
  try {
    return [...(await checkFreshness(sources, files.sessions[0], warehouse?.sessions[0])), ...(await checkModelFreshness(models, warehouse?.sessions[0]))];
  } finally {
    await warehouse?.close();
    await files.close();
  }
}
