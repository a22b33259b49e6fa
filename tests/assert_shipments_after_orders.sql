-- A shipment leaves after its order was placed, and arrives after it left.
select shipment_id, order_id, ordered_at, shipped_at, delivered_at
from {{ref "fct_shipments"}}
where shipped_at < ordered_at
   or delivered_at < shipped_at
