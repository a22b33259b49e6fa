-- What each k-means segment looks like: its size and its members' average behaviour.
{{config materialized="table"}}
select
  s.segment,
  s.segment_name,
  count(*) as users,
  round(avg(f.active_days), 1) as avg_active_days,
  round(avg(f.purchases), 2) as avg_purchases,
  round(avg(f.revenue), 2) as avg_revenue,
  round(avg(f.recency_days), 1) as avg_recency_days
from {{ref "user_segments"}} s
join {{ref "user_features"}} f using (user_id)
group by all
order by s.segment
