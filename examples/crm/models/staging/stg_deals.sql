select deal_id, lead_id, contact_id, owner_id, amount::decimal(12, 2) as amount, created_at::timestamp as created_at
from {{source "crm" "deals"}}
