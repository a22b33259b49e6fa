-- The funnel by region: leads that reached each stage, the share of the previous stage that did, and of all leads.
with stages as (
  select * from (values (1, 'lead'), (2, 'mql'), (3, 'sql'), (4, 'opportunity'), (5, 'customer')) as s(stage_order, stage)
), reached as (
  select l.region, s.stage_order, s.stage, count(l.lead_id) as leads
  from {{ref "fct_lead_conversions"}} l
  join stages s on l.furthest_stage_order >= s.stage_order
  group by all
)
select region, stage_order, stage, leads,
       round(leads / lag(leads) over (partition by region order by stage_order), 4) as from_previous_stage,
       round(leads / first(leads) over (partition by region order by stage_order), 4) as from_lead
from reached
order by region, stage_order
