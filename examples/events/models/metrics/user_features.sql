-- One row per user who sent an event: the behaviour the k-means segments are made from.
select
  e.user_id,
  count(distinct e.event_date) as active_days,
  count(distinct e.session_id) as sessions,
  count(*) filter (where e.event_type = 'purchase') as purchases,
  sum(e.revenue) as revenue,
  date_diff('day', max(e.event_date), (select max(event_date) from {{ref "stg_events"}})) as recency_days,
  u.plan,
  u.country
from {{ref "stg_events"}} e
join {{ref "stg_users"}} u using (user_id)
group by e.user_id, u.plan, u.country
order by e.user_id
