-- One row per shipment: carrier, delivery time against the promised date, and its cost in rupees.
select
    s.shipment_id,
    s.order_id,
    o.customer_id,
    s.carrier,
    o.ordered_at,
    s.shipped_at,
    s.promised_date,
    s.delivered_at,
    s.shipment_status,
    date_diff('day', o.order_date, s.delivered_date) as days_to_deliver,
    s.delivered_date <= s.promised_date as is_on_time,
    {{> cents_to_rupees column="s.shipping_cost_paise"}} as shipping_cost
from {{ref "stg_shipments"}} s
join {{ref "stg_orders"}} o using (order_id)
