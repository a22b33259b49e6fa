select
    session_id,
    customer_id,
    started_at,
    cast(started_at as date) as session_date,
    device,
    channel,
    converted
from {{source "web" "web_sessions"}}
