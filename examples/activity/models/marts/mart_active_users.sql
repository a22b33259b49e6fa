-- Active users on the as_of day ("today"), in its ISO week up to that day ("this week"), over the 7 and 28 days
-- ending on it, and stickiness (today over 28 days). Active: any activity but telemetry (heartbeats).
with active as (
  select user_id, activity_date from {{ref "fct_activity"}} where category <> 'telemetry'
), today as (select '{{var "as_of"}}'::date as d)
select today.d as as_of,
       count(distinct user_id) filter (activity_date = today.d) as active_today,
       count(distinct user_id) filter (activity_date between date_trunc('week', today.d) and today.d) as active_this_week,
       count(distinct user_id) filter (activity_date between today.d - 6 and today.d) as active_7d,
       count(distinct user_id) filter (activity_date between today.d - 27 and today.d) as active_28d,
       round(active_today / nullif(active_28d, 0), 4) as stickiness
from active, today
group by today.d
