-- Order lines with their product's category and seller (inlined as a CTE: ephemeral).
select
    i.order_item_id,
    i.order_id,
    i.product_id,
    p.category,
    p.seller_id,
    i.quantity,
    i.gross_paise,
    i.discount_paise,
    i.net_paise
from {{ref "stg_order_items"}} i
join {{ref "stg_products"}} p using (product_id)
