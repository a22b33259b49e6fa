select
  goal_id, business_unit, kpi, goal_name, owner, period_start, period_end, measure,
  baseline_value, target_value, alert_threshold_pct,
  -- a goal is met upwards (revenue) or downwards (churn): +1 or -1
  sign(target_value - baseline_value) as direction,
  date_diff('day', period_start, period_end) as last_day_index
from {{ref "goals"}}
