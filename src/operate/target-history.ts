import { existsSync } from 'node:fs';
import { databaseKind } from '../adapter/databases.js';
import { DuckDbAdapter, targetOptions } from '../adapter/duckdb.js';
import type { Session } from '../adapter/adapter.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { quoteLiteral, type TargetDef } from '../types.js';
import type { FreshnessCheck } from './metrics.js';

/** What `eider schedule` reads from a target's run history (`eider` schema). */
export interface TargetFacts {
  /** The release readers see now: the newest published (or in-place) run in the file's own history. */
  readonly release?: string;
  /** When each schedule last ran on this target. */
  readonly lastRuns: ReadonlyMap<string, Date>;
  /** Models built by the newest run of `schedule` started since `since`. */
  readonly modelsBuilt: number;
  readonly freshness: readonly FreshnessCheck[];
}

const NONE: TargetFacts = { lastRuns: new Map(), modelsBuilt: 0, freshness: [] };

/**
 * Reads a local target file read-only (a BI reader's view: the published release). Never throws: a target with no
 * file, no history (or an older one without the `schedule` column), or held by a writer reads as having none.
 */
export async function readTargetFacts(target: TargetDef, run?: { schedule: string; since: Date }): Promise<TargetFacts> {
  if (databaseKind(target.path) !== 'file' || !existsSync(target.path)) return NONE;
  let adapter: DuckDbAdapter | undefined;
  try {
    adapter = await DuckDbAdapter.open({ path: target.path, threads: 1, ...targetOptions(target), readOnly: true });
    const s = adapter.sessions[0];
    return {
      release: (await rows(s, `select release_id from ${HISTORY_SCHEMA}.releases where status in ('published', 'in_place') order by published_at desc limit 1`))[0]?.release_id as string | undefined,
      lastRuns: new Map(
        (await rows(s, `select schedule, max(started_at) as at from ${HISTORY_SCHEMA}.releases where schedule is not null group by schedule`)).map((r) => [String(r.schedule), asDate(r.at)]),
      ),
      modelsBuilt: run ? Number((await rows(s, modelsBuiltSql(run.schedule, run.since)))[0]?.n ?? 0) : 0,
      freshness: (
        await rows(s, `select node_id, arg_max(age_s, checked_at) as age_s, max(checked_at) as checked_at from ${HISTORY_SCHEMA}.freshness_results where age_s is not null group by node_id`)
      ).map((r) => ({ nodeId: String(r.node_id), ageS: Number(r.age_s), checkedAt: asDate(r.checked_at) })),
    };
  } catch {
    return NONE;
  } finally {
    await adapter?.close();
  }
}

function modelsBuiltSql(schedule: string, since: Date): string {
  const newest = `select release_id from ${HISTORY_SCHEMA}.releases where schedule = ${quoteLiteral(schedule)} and started_at >= ${quoteLiteral(since.toISOString())}::timestamptz order by started_at desc limit 1`;
  return `select count(*)::int as n from ${HISTORY_SCHEMA}.node_runs where release_id = (${newest}) and resource_type = 'model' and status = 'success'`;
}

/** A query's rows, or none when the history lacks the table or column. */
async function rows(s: Session, sql: string): Promise<Record<string, unknown>[]> {
  return s.query(sql).catch(() => []);
}

/** A timestamp from DuckDB as a Date (the adapter gives Dates, with their milliseconds). */
function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}
