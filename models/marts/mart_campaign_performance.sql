-- Per campaign: spend, attributed orders and revenue (last touch, 7 days), new customers, ROAS and CAC.
with spend as (
    select campaign_id, sum(spend) as spend, sum(impressions)::bigint as impressions, sum(clicks)::bigint as clicks
    from {{ref "fct_ad_spend"}}
    group by campaign_id
),
first_orders as (
    select order_id
    from {{ref "fct_orders"}}
    where status <> 'cancelled'
    qualify row_number() over (partition by customer_id order by ordered_at, order_id) = 1
),
attributed as (
    select
        a.campaign_id,
        count(*) as attributed_orders,
        -- A returned order's money went back (mart_financial_metrics counts it as a refund): no revenue to attribute.
        coalesce(sum(o.net_amount) filter (where o.status <> 'returned'), 0) as attributed_revenue,
        count(f.order_id) as new_customers
    from {{ref "int_order_attribution"}} a
    join {{ref "fct_orders"}} o using (order_id)
    left join first_orders f using (order_id)
    group by a.campaign_id
)
select
    c.campaign_id,
    c.campaign_name,
    c.channel,
    c.start_date,
    c.end_date,
    c.budget,
    coalesce(s.spend, 0) as spend,
    coalesce(s.impressions, 0) as impressions,
    coalesce(s.clicks, 0) as clicks,
    coalesce(a.attributed_orders, 0) as attributed_orders,
    coalesce(a.attributed_revenue, 0) as attributed_revenue,
    coalesce(a.new_customers, 0) as new_customers,
    round({{safe_divide "coalesce(a.attributed_revenue, 0)" "s.spend"}}, 2) as roas,
    -- In paise, rounded to a whole paisa: spend / customers in rupees is a double, and 41124.63 / 2 would round down.
    round({{safe_divide "s.spend * 100" "a.new_customers"}}) / 100 as cac
from {{ref "stg_campaigns"}} c
left join spend s using (campaign_id)
left join attributed a using (campaign_id)
