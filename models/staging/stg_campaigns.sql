select
    campaign_id,
    campaign_name,
    channel,
    start_date,
    end_date,
    budget_paise,
    {{> cents_to_rupees column="budget_paise"}} as budget,
    updated_at
from {{source "vyapar" "campaigns"}}
