-- Per open stage: how many deals entered it, how many are in it now, and the days spent there by the deals that
-- moved on (average and median).
select stage,
       count(*) as deals_entered,
       count(*) filter (is_current) as deals_in_stage_now,
       round(avg(days_in_stage) filter (not is_current), 2) as avg_days_in_stage,
       round(median(days_in_stage) filter (not is_current), 2) as median_days_in_stage
from {{ref "fct_deal_stage_transitions"}}
where not is_closed
group by stage
order by min(case stage when 'prospecting' then 1 when 'qualification' then 2 when 'proposal' then 3 else 4 end)
