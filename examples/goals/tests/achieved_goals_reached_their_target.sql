-- An achieved goal's current value is at or past its target, in the goal's own direction.
select goal_id, current_value, target_value, baseline_value
from {{ref "goal_status"}}
where status = 'achieved'
  and sign(target_value - baseline_value) * (current_value - target_value) < 0
