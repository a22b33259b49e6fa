-- One row per order line, in rupees, with the seller's commission (the marketplace's revenue on the line).
select
    i.order_item_id,
    i.order_id,
    o.customer_id,
    o.order_date,
    o.status,
    i.product_id,
    i.category,
    i.seller_id,
    i.quantity,
    {{> cents_to_rupees column="i.gross_paise"}} as gross_amount,
    {{> cents_to_rupees column="i.discount_paise"}} as discount_amount,
    {{> cents_to_rupees column="i.net_paise"}} as net_amount,
    s.commission_rate,
    -- Rounded to the paisa in DECIMAL (half up): a division first would round a binary fraction.
    {{> cents_to_rupees column="round(i.net_paise * s.commission_rate)"}} as commission_amount
from {{ref "int_order_items_enriched"}} i
join {{ref "stg_orders"}} o using (order_id)
left join {{ref "stg_sellers"}} s using (seller_id)
