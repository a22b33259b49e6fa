-- Each goal's progress day by day over its period so far: the running total of a "sum" goal, the day's value of a
-- "last" goal, as a share of the way from the baseline to the target. day_index counts from the period's start.
select
  g.goal_id,
  v.metric_date,
  date_diff('day', g.period_start, v.metric_date) as day_index,
  v.value,
  case g.measure
    when 'sum' then sum(v.value) over (partition by g.goal_id order by v.metric_date rows between unbounded preceding and current row)
    else v.value
  end as progress_value,
  round(100 * (progress_value - g.baseline_value) / (g.target_value - g.baseline_value), 2) as progress_pct
from {{ref "stg_goals"}} g
join {{ref "stg_kpi_values"}} v
  on v.business_unit = g.business_unit and v.kpi = g.kpi and v.metric_date between g.period_start and g.period_end
order by g.goal_id, v.metric_date
