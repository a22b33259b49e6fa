-- Stock per product at the latest count: units on hand, the last four weeks' sales, weeks of cover and a status.
with latest as (
    select * from {{ref "fct_inventory_movements"}}
    qualify row_number() over (partition by product_id order by week_end desc) = 1
),
recent as (
    select m.product_id, sum(m.units_sold)::integer as units_sold_4w
    from {{ref "fct_inventory_movements"}} m
    join latest l on l.product_id = m.product_id and m.week_end > l.week_end - interval 28 day
    group by m.product_id
)
select
    p.product_id,
    p.product_name,
    p.category,
    p.seller_id,
    l.warehouse_id,
    l.week_end as counted_on,
    l.closing_units as units_on_hand,
    r.units_sold_4w,
    round(r.units_sold_4w / 4.0, 2) as avg_weekly_units,
    round({{safe_divide "l.closing_units" "r.units_sold_4w / 4.0"}}, 1) as weeks_of_cover,
    case
        when l.closing_units = 0 then 'out_of_stock'
        when l.closing_units < 3 or l.closing_units < r.units_sold_4w / 2.0 then 'reorder'
        when r.units_sold_4w = 0 or l.closing_units > r.units_sold_4w * 6.5 then 'overstock'
        else 'healthy'
    end as stock_status
from latest l
join recent r using (product_id)
join {{ref "dim_products"}} p using (product_id)
