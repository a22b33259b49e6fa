-- Key risk indicators per day: errors, failed payments, slow requests and unhappy feedback.
with events as (
  select
    event_date,
    avg(is_error::int) as error_rate,
    round(count(*) filter (where event_type = 'payment_failed')
      / nullif(count(*) filter (where event_type in ('purchase', 'payment_failed')), 0), 4) as payment_failure_rate,
    quantile_disc(latency_ms, 0.95) as p95_latency_ms
  from {{ref "stg_events"}}
  group by event_date
), feedback as (
  select submitted_date as event_date, count(*) filter (where sentiment = 'negative') as negative_feedback, count(*) as feedback
  from {{ref "feedback_sentiment"}}
  group by 1
)
select e.event_date, e.error_rate, coalesce(e.payment_failure_rate, 0) as payment_failure_rate, e.p95_latency_ms,
  coalesce(f.negative_feedback, 0) as negative_feedback, coalesce(f.feedback, 0) as feedback
from events e
left join feedback f using (event_date)
order by e.event_date
