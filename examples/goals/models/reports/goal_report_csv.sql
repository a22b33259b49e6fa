-- The weekly goal report as a CSV file in output/<target>/ (an external model; the weekly_report schedule builds it).
{{config materialized="external" location="goal_report.csv" format="csv"}}
select goal_id, goal_name, owner, as_of, current_value, target_value, progress_pct, forecast_value,
  forecast_progress_pct, alert_threshold_pct, status
from {{ref "goal_status"}}
order by alert desc, goal_id
