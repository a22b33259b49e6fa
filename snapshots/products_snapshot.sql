{{config schema="snapshots" unique_key="product_id" strategy="timestamp" updated_at="updated_at" invalidate_hard_deletes=true}}
-- Price history of the catalogue: a new version whenever a product's row is updated.
select product_id, product_name, category, price_paise, seller_id, updated_at
from {{source "vyapar" "products"}}
