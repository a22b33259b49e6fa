-- Every KPI and KRI of every day with its z-score against the trailing window of earlier days: the same
-- arithmetic as the built-in anomaly test (sample standard deviation, the previous N days, a minimum history),
-- kept as a table so a dashboard can plot it. anomaly_days keeps the flagged ones. payment_failure_rate is left
-- out: a handful of checkouts a day make it jump from 0 to 0.5 on one failure, which no z-score can judge.
with daily as (
  select k.event_date, k.dau, k.sessions, k.purchases, k.revenue, k.conversion_rate,
    r.error_rate, r.p95_latency_ms
  from {{ref "kpi_daily"}} k
  join {{ref "kri_daily"}} r using (event_date)
), long as (
  unpivot (
    select event_date, dau::double as dau, sessions::double as sessions, purchases::double as purchases,
      revenue::double as revenue, conversion_rate::double as conversion_rate, error_rate::double as error_rate,
      p95_latency_ms::double as p95_latency_ms
    from daily
  ) on dau, sessions, purchases, revenue, conversion_rate, error_rate, p95_latency_ms
  into name metric value value
), scored as (
  select metric, event_date, value,
    avg(value) over w as trailing_mean,
    stddev_samp(value) over w as trailing_sd,
    count(value) over w as periods
  from long
  window w as (partition by metric order by event_date rows between {{var "anomaly_window"}} preceding and 1 preceding)
)
select
  metric,
  case when metric in ('error_rate', 'p95_latency_ms') then 'kri' else 'kpi' end as kind,
  event_date,
  round(value, 4) as value,
  round(trailing_mean, 4) as trailing_mean,
  round(trailing_sd, 4) as trailing_sd,
  case when periods >= {{var "anomaly_min_periods"}} and trailing_sd > 0 then round((value - trailing_mean) / trailing_sd, 2) end as z_score,
  coalesce(periods >= {{var "anomaly_min_periods"}} and trailing_sd > 0
    and abs((value - trailing_mean) / trailing_sd) > {{var "anomaly_threshold"}}, false) as is_anomaly
from scored
order by metric, event_date
