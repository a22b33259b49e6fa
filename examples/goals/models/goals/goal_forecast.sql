-- A straight line through each goal's progress so far (least squares, DuckDB's regr_slope / regr_intercept),
-- read at the period's last day: the value the goal is heading for. Every KPI here is 0 or more, and so is its
-- forecast (a falling backlog's line would cross zero).
select
  g.goal_id,
  count(*) as days_measured,
  regr_slope(p.progress_value, p.day_index) as slope_per_day,
  regr_intercept(p.progress_value, p.day_index) as intercept,
  regr_r2(p.progress_value, p.day_index) as r2,
  any_value(g.last_day_index) as last_day_index,
  greatest(0, regr_intercept(p.progress_value, p.day_index) + regr_slope(p.progress_value, p.day_index) * any_value(g.last_day_index)) as forecast_value
from {{ref "stg_goals"}} g
join {{ref "goal_progress"}} p using (goal_id)
group by g.goal_id
having count(*) >= 2
order by g.goal_id
