{{config materialized="table" schema="ml" tags="daily"}}
-- RFM features per customer: how recently, how often and how much they bought.
with orders as (
    select customer_id, order_date, net_amount
    from {{ref "fct_orders"}}
    where status <> 'cancelled'
),
as_of as (
    select max(order_date) as as_of_date from orders
)
select
    c.customer_id,
    coalesce(date_diff('day', max(o.order_date), any_value(a.as_of_date)), 9999) as recency_days,
    count(o.customer_id) as frequency,
    coalesce(sum(o.net_amount), 0)::double as monetary
from {{ref "dim_customers"}} c
cross join as_of a
left join orders o using (customer_id)
group by c.customer_id
