{{config materialized="incremental" unique_key="order_id" incremental_strategy="merge" on_schema_change="append_new_columns"}}
-- One row per order, with its totals and its payment. Incremental: later builds merge only the orders
-- updated since the newest one already in the table.
select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    o.order_date,
    o.status,
    o.updated_at,
    coalesce(t.item_count, 0)::integer as item_count,
    {{> cents_to_rupees column="coalesce(t.gross_paise, 0)"}} as gross_amount,
    {{> cents_to_rupees column="coalesce(t.discount_paise, 0)"}} as discount_amount,
    {{> cents_to_rupees column="coalesce(t.net_paise, 0)"}} as net_amount,
    {{safe_divide "t.discount_paise" "t.gross_paise"}} as discount_share,
    p.amount as paid_amount,
    p.payment_method,
    '{{var "currency"}}' as currency
from {{ref "stg_orders"}} o
left join {{ref "int_order_totals"}} t using (order_id)
left join {{ref "stg_payments"}} p using (order_id)
{{#if is_incremental}}
where o.updated_at > (select max(updated_at) from {{this}})
{{/if}}
