-- The daily KPIs add up to the raw click stream's revenue and purchases: nothing lost or doubled on the way.
select k.revenue, k.purchases, r.revenue as raw_revenue, r.purchases as raw_purchases
from (select sum(revenue) as revenue, sum(purchases) as purchases from {{ref "kpi_daily"}}) k,
     (select coalesce(sum(revenue), 0) as revenue, count(*) filter (where event_type = 'purchase') as purchases
      from {{source "app" "events"}}) r
where k.revenue <> r.revenue or k.purchases <> r.purchases
