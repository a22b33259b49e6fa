-- The same report as JSON (one object a line), for the team's chat bot.
{{config materialized="external" location="goal_report.json" format="json"}}
select goal_id, goal_name, owner, as_of, current_value, target_value, progress_pct, forecast_value,
  forecast_progress_pct, status, alert
from {{ref "goal_status"}}
order by alert desc, goal_id
