-- One row per shipment, read in place from the logistics partner's Parquet export.
select
    shipment_id,
    order_id,
    carrier,
    shipped_at,
    promised_date,
    delivered_at,
    cast(delivered_at as date) as delivered_date,
    case when delivered_at is null then 'in_transit' else 'delivered' end as shipment_status,
    shipping_cost_paise
from {{source "logistics" "shipments"}}
