-- Per region: open deals and their value (the pipeline), won and lost deals, the win rate of closed deals.
select region,
       count(*) filter (not is_closed) as open_deals,
       coalesce(sum(amount) filter (not is_closed), 0) as pipeline_value,
       count(*) filter (stage = 'closed_won') as won_deals,
       count(*) filter (stage = 'closed_lost') as lost_deals,
       coalesce(sum(amount) filter (stage = 'closed_won'), 0) as won_value,
       round(count(*) filter (stage = 'closed_won') / nullif(count(*) filter (is_closed), 0), 4) as win_rate
from {{ref "fct_deal_stage_transitions"}}
where is_current
group by region
order by region
