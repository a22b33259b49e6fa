select
    customer_id,
    first_name || ' ' || last_name as full_name,
    lower(email) as email,
    city,
    state,
    signup_date,
    updated_at
from {{source "vyapar" "customers"}}
