-- The marketplace's month: GMV, discounts, net sales, refunds (returned orders), net revenue, the commission
-- it earns and its take rate, and what it spent on ads. Cancelled orders count nowhere.
with lines as (
    select
        date_trunc('month', order_date)::date as month,
        count(distinct order_id) as orders,
        sum(gross_amount) as gmv,
        sum(discount_amount) as discounts,
        sum(net_amount) as net_sales,
        coalesce(sum(net_amount) filter (where status = 'returned'), 0) as refunds,
        coalesce(sum(commission_amount) filter (where status <> 'returned'), 0) as commission_revenue
    from {{ref "fct_order_items"}}
    where status <> 'cancelled'
    group by 1
),
ads as (
    select date_trunc('month', spend_date)::date as month, sum(spend) as ad_spend
    from {{ref "fct_ad_spend"}}
    group by 1
)
select
    l.month,
    l.orders,
    l.gmv,
    l.discounts,
    l.net_sales,
    l.refunds,
    l.net_sales - l.refunds as net_revenue,
    l.commission_revenue,
    round({{safe_divide "l.commission_revenue" "l.gmv"}}, 4) as take_rate,
    coalesce(a.ad_spend, 0) as ad_spend
from lines l
left join ads a using (month)
