{{config materialized="external" location="weekly_report.csv" format="csv"}}
-- The weekly report, written on every build to output/<target>/weekly_report.csv (a view reads it back): per ISO
-- week, the users active that week, events, errors, the error rate, the days flagged as incidents and MiB uploaded.
with weekly_users as (
  select date_trunc('week', activity_date)::date as week_start, count(distinct user_id) as active_users
  from {{ref "fct_activity"}}
  where category <> 'telemetry'
  group by all
)
select date_trunc('week', m.activity_date)::date as week_start,
       w.active_users,
       sum(m.events)::bigint as events,
       sum(m.errors)::bigint as errors,
       round(sum(m.errors) / sum(m.events), 4) as error_rate,
       count(*) filter (m.is_incident) as incident_days,
       round(sum(m.uploaded_bytes) / 1048576, 1) as uploaded_mib
from {{ref "mart_daily_metrics"}} m
join weekly_users w on w.week_start = date_trunc('week', m.activity_date)::date
group by all
order by week_start
