-- The finance mart, the seller dimension and the order lines tell one story: the same GMV, and the same commission
-- (a returned line's refunded in both). Returns a row when they disagree.
with f as (select sum(gmv) as gmv, sum(commission_revenue) as commission from {{ref "mart_financial_metrics"}}),
     l as (select sum(gross_amount) as gmv from {{ref "fct_order_items"}} where status <> 'cancelled'),
     s as (select sum(commission) as commission from {{ref "dim_sellers"}})
select f.gmv, l.gmv as lines_gmv, f.commission, s.commission as sellers_commission
from f, l, s
where f.gmv <> l.gmv or f.commission <> s.commission
