-- One row per goal: where it stands, where it is heading, and whether to worry. A goal is "achieved" once its
-- progress reaches 100 %, "on track" while the forecast reaches its alert threshold (a % of the target), "at risk"
-- otherwise (alert = true), and "not started" until two days of its period are measured (no line to draw yet).
with latest as (
  select goal_id, progress_value as current_value, progress_pct
  from {{ref "goal_progress"}}
  qualify row_number() over (partition by goal_id order by metric_date desc) = 1
), scored as (
  select
    g.goal_id, g.business_unit, g.goal_name, g.owner, g.kpi, g.measure, g.period_start, g.period_end,
    r.as_of,
    greatest(0, date_diff('day', r.as_of, g.period_end)) as days_left,
    g.baseline_value, g.target_value,
    round(l.current_value, 2) as current_value,
    l.progress_pct,
    round(f.forecast_value, 2) as forecast_value,
    round(100 * (f.forecast_value - g.baseline_value) / (g.target_value - g.baseline_value), 2) as forecast_progress_pct,
    g.alert_threshold_pct
  from {{ref "stg_goals"}} g
  cross join {{ref "report_day"}} r
  left join latest l using (goal_id)
  left join {{ref "goal_forecast"}} f using (goal_id)
)
select
  *,
  case
    when progress_pct >= 100 then 'achieved'
    when forecast_value is null then 'not started'
    when forecast_progress_pct >= alert_threshold_pct then 'on track'
    else 'at risk'
  end as status,
  status = 'at risk' as alert
from scored
order by goal_id
