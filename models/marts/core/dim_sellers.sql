-- One row per seller, with their catalogue and what they sold.
with sales as (
    select
        seller_id,
        count(distinct order_id) as orders,
        sum(quantity) as units_sold,
        sum(gross_amount) as gmv,
        -- A returned line's commission is refunded with it (as mart_financial_metrics counts it).
        coalesce(sum(commission_amount) filter (where status <> 'returned'), 0) as commission
    from {{ref "fct_order_items"}}
    where status <> 'cancelled'
    group by seller_id
),
catalogue as (
    select seller_id, count(*) as product_count, count(distinct category) as category_count
    from {{ref "stg_products"}}
    group by seller_id
)
select
    s.seller_id,
    s.seller_name,
    s.contact_email,
    s.city,
    s.state,
    s.joined_date,
    s.commission_rate,
    coalesce(c.product_count, 0) as product_count,
    coalesce(c.category_count, 0) as category_count,
    coalesce(x.orders, 0) as orders,
    coalesce(x.units_sold, 0) as units_sold,
    coalesce(x.gmv, 0) as gmv,
    coalesce(x.commission, 0) as commission
from {{ref "stg_sellers"}} s
left join catalogue c using (seller_id)
left join sales x using (seller_id)
