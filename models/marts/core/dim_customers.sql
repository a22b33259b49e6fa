-- One row per customer, with their order history summed up.
with orders as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) filter (where status <> 'cancelled') as lifetime_orders,
        coalesce(sum(net_amount) filter (where status in ('delivered', 'shipped', 'placed')), 0) as lifetime_value
    from {{ref "fct_orders"}}
    group by customer_id
)
select
    c.customer_id,
    c.full_name,
    c.email,
    c.city,
    c.state,
    c.signup_date,
    o.first_order_at,
    o.last_order_at,
    coalesce(o.lifetime_orders, 0) as lifetime_orders,
    coalesce(o.lifetime_value, 0) as lifetime_value,
    case
        when coalesce(o.lifetime_value, 0) >= 50000 then 'gold'
        when coalesce(o.lifetime_value, 0) >= 10000 then 'silver'
        when coalesce(o.lifetime_orders, 0) > 0 then 'bronze'
        else 'prospect'
    end as tier
from {{ref "stg_customers"}} c
left join orders o using (customer_id)
