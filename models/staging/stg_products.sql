select
    product_id,
    product_name,
    category,
    price_paise,
    {{> cents_to_rupees column="price_paise"}} as price,
    seller_id,
    updated_at
from {{source "vyapar" "products"}}
