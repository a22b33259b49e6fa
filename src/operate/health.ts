/**
 * The warehouse's health as views over the run history in the target's own `eider` schema, so a BI dashboard
 * charts each figure with one query, in a file attached under any name (see HEALTH_QUERIES). `eider status` reads
 * them too. "7d" windows end at the query's `now()`.
 */

/** Successful runs a model's median duration is taken over (the progress display's ETA uses as many). */
export const MEDIAN_RUNS = 10;

/** When a node's run finished: its start plus its duration. */
const FINISHED = `started_at + to_milliseconds(cast(duration_ms as bigint))`;
const WEEK = `started_at >= now() - interval 7 day`;

/**
 * Each view's name and query. Tables are named without schema or catalog: DuckDB binds a view's names in the view's
 * own schema first, so the views read their own file's history under any alias (even one called `eider`, where
 * `eider.node_runs` would be ambiguous).
 */
export const HEALTH_QUERIES: ReadonlyArray<{ readonly name: string; readonly sql: string }> = [
  {
    // Models, seeds and snapshots: one row each, from every run the file records.
    name: 'model_health',
    sql: `select node_id, arg_max(name, started_at) as model, arg_max(resource_type, started_at) as resource_type,
max(finished_at) filter (where status = 'success') as last_success_at,
arg_max(duration_ms, started_at) filter (where status = 'success') as last_duration_ms,
median(duration_ms) filter (where status = 'success' and nth <= ${MEDIAN_RUNS}) as median_duration_ms,
count(*) filter (where status <> 'skipped' and ${WEEK}) as runs_7d,
count(*) filter (where status in ('error', 'fail') and ${WEEK}) as failures_7d,
arg_max(status, started_at) as last_status
from (select *, ${FINISHED} as finished_at, row_number() over (partition by node_id, status order by started_at desc) as nth from node_runs)
group by node_id`,
  },
  {
    // Data tests and unit tests; a warning is not a failure.
    name: 'test_health',
    sql: `select node_id, test, test_type, runs_7d, failures_7d, warnings_7d, failures_7d / nullif(runs_7d, 0) as failure_rate, last_status
from (select node_id, arg_max(name, started_at) as test, arg_max(test_type, started_at) as test_type,
count(*) filter (where status <> 'skipped' and ${WEEK}) as runs_7d,
count(*) filter (where status in ('fail', 'error') and ${WEEK}) as failures_7d,
count(*) filter (where status = 'warn' and ${WEEK}) as warnings_7d,
arg_max(status, started_at) as last_status
from test_results group by node_id)`,
  },
  {
    name: 'release_health',
    sql: `select release_id as release, published_at, file_bytes, node_count, status, command, publish_mode, started_at, finished_at, epoch(finished_at - started_at) as duration_s
from releases`,
  },
  {
    // A relation's data is as old as its node's last successful run in this file.
    name: 'relation_freshness',
    sql: `select relation, arg_max(node_id, finished_at) as node_id, max(finished_at) as last_refreshed_at, cast(epoch(now() - max(finished_at)) as bigint) as age_s
from (select relation, node_id, ${FINISHED} as finished_at from node_runs where status = 'success' and relation is not null)
group by relation`,
  },
];

/** The statements that (re)create the views; run after the history tables are written. */
export function healthViews(schema: string): string[] {
  return HEALTH_QUERIES.map((v) => `create or replace view ${schema}.${v.name} as ${v.sql}`);
}

export const HEALTH_VIEW_NAMES = HEALTH_QUERIES.map((v) => v.name);
