select feedback_id, user_id, cast(submitted_at as timestamp) as submitted_at, cast(submitted_at as date) as submitted_date, rating, comment
from {{source "app" "feedback"}}
