{{config severity="warn"}}
-- Orders dated before the project's start date or in the future are suspicious, not fatal.
select order_id, ordered_at
from {{ref "fct_orders"}}
where ordered_at < date '{{var "start_date"}}'
   or ordered_at > now()
