{{config materialized="table" tags="core"}}
-- Orders are read by every fact downstream, so staging keeps them as a table.
select
    order_id,
    customer_id,
    ordered_at,
    cast(ordered_at as date) as order_date,
    status,
    status in ('delivered', 'shipped', 'placed') as is_active,
    updated_at
from {{source "vyapar" "orders"}}
where ordered_at >= date '{{var "start_date"}}'
