select lead_id, contact_id, owner_id, source, created_at::timestamp as created_at
from {{source "crm" "leads"}}
