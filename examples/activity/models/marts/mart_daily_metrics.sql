-- One row per day: active users, events, errors, the error rate (and whether it is an incident: over three times
-- the period's median daily rate), new sign-ups and bytes uploaded.
with days as (
  select activity_date,
         count(distinct user_id) filter (category <> 'telemetry') as active_users,
         count(*) as events,
         count(*) filter (is_error) as errors,
         round(count(*) filter (is_error) / count(*), 4) as error_rate,
         coalesce(sum(bytes) filter (activity_type = 'upload' and not is_error), 0)::bigint as uploaded_bytes,
         quantile_cont(duration_ms, 0.95) as p95_duration_ms
  from {{ref "fct_activity"}}
  group by activity_date
), signups as (
  select signed_up_on as activity_date, count(*) as new_users from {{ref "app_users"}} group by all
)
select d.*, coalesce(s.new_users, 0) as new_users,
       d.error_rate > 3 * median(d.error_rate) over () as is_incident
from days d
left join signups s using (activity_date)
order by activity_date
