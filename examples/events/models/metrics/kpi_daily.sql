-- Key performance indicators per day: how many came, how many bought, what they spent.
select
  event_date,
  count(distinct user_id) as dau,
  count(distinct session_id) as sessions,
  count(*) as events,
  count(*) filter (where event_type = 'purchase') as purchases,
  count(distinct user_id) filter (where event_type = 'purchase') as purchasers,
  sum(revenue) as revenue,
  round(count(distinct user_id) filter (where event_type = 'purchase') / count(distinct user_id), 4) as conversion_rate,
  round(sum(revenue) / count(distinct user_id), 2) as arpu
from {{ref "stg_events"}}
group by event_date
order by event_date
