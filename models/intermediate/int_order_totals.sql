-- One row per order: how many items, and what they came to.
select
    order_id,
    sum(quantity) as item_count,
    count(distinct category) as category_count,
    sum(gross_paise) as gross_paise,
    sum(discount_paise) as discount_paise,
    sum(net_paise) as net_paise
from {{ref "int_order_items_enriched"}}
group by order_id
