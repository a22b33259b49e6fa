select
    seller_id,
    seller_name,
    lower(contact_email) as contact_email,
    city,
    state,
    joined_date,
    commission_rate,
    updated_at
from {{source "vyapar" "sellers"}}
