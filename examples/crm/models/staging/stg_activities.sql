select activity_id, contact_id, deal_id, owner_id, activity_type, status, started_at, duration_min
from {{source "crm" "activities"}}
