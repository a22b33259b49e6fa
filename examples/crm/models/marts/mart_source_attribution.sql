-- Lead sources: leads, customers won, conversion rate, days to conversion and the value of the deals won.
select l.source,
       count(*) as leads,
       count(*) filter (l.converted) as customers,
       round(count(*) filter (l.converted) / count(*), 4) as conversion_rate,
       round(avg(l.days_to_conversion), 2) as avg_days_to_conversion,
       coalesce(sum(d.amount) filter (l.converted), 0) as won_value
from {{ref "fct_lead_conversions"}} l
left join {{ref "stg_deals"}} d using (lead_id)
group by l.source
order by won_value desc
