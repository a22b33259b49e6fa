-- Units of each product sold per day, on orders not cancelled (inlined as a CTE: ephemeral).
select
    i.product_id,
    o.order_date,
    sum(i.quantity) as units_sold
from {{ref "stg_order_items"}} i
join {{ref "stg_orders"}} o using (order_id)
where o.status <> 'cancelled'
group by all
