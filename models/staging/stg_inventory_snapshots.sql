-- Stock on hand per product, counted at the end of every Sunday (the warehouse system's Parquet export).
select
    snapshot_date,
    product_id,
    warehouse_id,
    units_on_hand
from {{source "logistics" "inventory_snapshots"}}
