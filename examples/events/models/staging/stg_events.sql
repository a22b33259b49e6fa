-- One row per event, with its day and flags the metrics count.
select
  event_id,
  user_id,
  session_id,
  event_type,
  occurred_at,
  cast(occurred_at as date) as event_date,
  coalesce(revenue, 0) as revenue,
  latency_ms,
  event_type = 'error' as is_error
from {{source "app" "events"}}
