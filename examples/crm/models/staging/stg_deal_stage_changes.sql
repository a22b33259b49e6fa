select deal_id, stage, changed_at::timestamp as changed_at
from {{source "crm" "deal_stage_changes"}}
