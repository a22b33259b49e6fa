select event_id, user_id, activity_type, occurred_at, occurred_at::date as activity_date,
       status, status = 'error' as is_error, error_code, duration_ms, bytes
from {{source "product" "activity_log"}}
