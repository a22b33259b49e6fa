-- One row per product and week (between two Sunday stock counts): opening stock, units sold on orders,
-- units received (what the counts imply: closing - opening + sold) and closing stock.
with counts as (
    select
        product_id,
        warehouse_id,
        lag(snapshot_date) over (partition by product_id order by snapshot_date) as previous_date,
        snapshot_date,
        lag(units_on_hand) over (partition by product_id order by snapshot_date) as opening_units,
        units_on_hand as closing_units
    from {{ref "stg_inventory_snapshots"}}
),
weeks as (
    select * from counts where previous_date is not null
),
sold as (
    select w.product_id, w.snapshot_date, coalesce(sum(u.units_sold), 0)::integer as units_sold
    from weeks w
    left join {{ref "int_units_sold_daily"}} u
      on u.product_id = w.product_id
     and u.order_date > w.previous_date
     and u.order_date <= w.snapshot_date
    group by w.product_id, w.snapshot_date
)
select
    w.product_id,
    w.warehouse_id,
    w.previous_date + 1 as week_start,
    w.snapshot_date as week_end,
    w.opening_units,
    s.units_sold,
    w.closing_units - w.opening_units + s.units_sold as units_received,
    w.closing_units
from weeks w
join sold s using (product_id, snapshot_date)
