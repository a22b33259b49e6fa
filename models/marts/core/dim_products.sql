-- One row per product: its catalogue entry, seller, warehouse and units sold.
with sold as (
    select product_id, sum(units_sold) as units_sold, min(order_date) as first_sold_date, max(order_date) as last_sold_date
    from {{ref "int_units_sold_daily"}}
    group by product_id
),
warehouse as (
    select product_id, arg_max(warehouse_id, snapshot_date) as warehouse_id
    from {{ref "stg_inventory_snapshots"}}
    group by product_id
)
select
    p.product_id,
    p.product_name,
    p.category,
    p.price_paise,
    p.price,
    p.seller_id,
    s.seller_name,
    w.warehouse_id,
    coalesce(x.units_sold, 0) as units_sold,
    x.first_sold_date,
    x.last_sold_date
from {{ref "stg_products"}} p
left join {{ref "stg_sellers"}} s using (seller_id)
left join warehouse w using (product_id)
left join sold x using (product_id)
