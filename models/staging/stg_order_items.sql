select
    order_item_id,
    order_id,
    product_id,
    quantity,
    unit_price_paise,
    discount_paise,
    quantity * unit_price_paise as gross_paise,
    quantity * unit_price_paise - discount_paise as net_paise
from {{source "vyapar" "order_items"}}
