-- A least-squares line goes through the mean point of what it was fitted to: the regression is on the right rows.
select f.goal_id, f.intercept + f.slope_per_day * avg(p.day_index) as line_at_mean_day, avg(p.progress_value) as mean_progress
from {{ref "goal_forecast"}} f
join {{ref "goal_progress"}} p using (goal_id)
group by f.goal_id, f.intercept, f.slope_per_day
having abs(line_at_mean_day - mean_progress) > 1e-6 * greatest(1, abs(mean_progress))
