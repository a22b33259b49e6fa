{{config materialized="table" pre_hook="set variable health_runs_sql = (select case when count(*) > 0 then 'select model, resource_type, last_status, last_success_at, last_duration_ms, median_duration_ms, runs_7d, failures_7d from eider.model_health' end from duckdb_views() where database_name = current_database() and schema_name = 'eider' and view_name = 'model_health')"}}
-- eider's own run history, as its health view eider.model_health holds it when this model runs: each model's last
-- and median build time and its runs over 7 days, for the builds before this one (a build's history is written when
-- it ends). A file's first build has no eider schema yet, and a model naming eider.model_health would fail to bind:
-- the pre_hook sets a variable to the view's query only when the view exists, and query() runs it, or else a query
-- of no rows (also where no hook runs: `eider show`, `build --empty`).
select * from query(coalesce(getvariable('health_runs_sql'), 'select null::varchar as model, null::varchar as resource_type, null::varchar as last_status, null::timestamptz as last_success_at, null::double as last_duration_ms, null::double as median_duration_ms, null::bigint as runs_7d, null::bigint as failures_7d where false'))
order by model
