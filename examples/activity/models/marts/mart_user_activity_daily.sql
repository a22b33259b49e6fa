-- Activity by user and day: events, the types used and errors met.
select a.user_id, u.plan, a.activity_date,
       count(*) as events,
       count(distinct a.activity_type) as types_used,
       count(*) filter (a.is_error) as errors,
       min(a.occurred_at) as first_at,
       max(a.occurred_at) as last_at
from {{ref "fct_activity"}} a
join {{ref "app_users"}} u using (user_id)
group by all
order by a.activity_date, a.user_id
