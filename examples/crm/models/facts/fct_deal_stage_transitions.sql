-- One row per deal and stage it entered: when it left the stage (the next change), the days it spent there (to
-- the as_of day for the stage a deal is in now), and the deal's value and outcome.
with changes as (
  select deal_id, stage, changed_at as entered_at,
         lag(stage) over (partition by deal_id order by changed_at) as from_stage,
         lead(changed_at) over (partition by deal_id order by changed_at) as left_at
  from {{ref "stg_deal_stage_changes"}}
), outcome as (
  select deal_id, arg_max(stage, changed_at) as current_stage from {{ref "stg_deal_stage_changes"}} group by deal_id
)
select ch.deal_id, d.contact_id, d.owner_id, ch.from_stage, ch.stage, ch.entered_at, ch.left_at,
       ch.left_at is null as is_current,
       ch.stage in ('closed_won', 'closed_lost') as is_closed,
       round(date_diff('second', ch.entered_at, coalesce(ch.left_at, '{{var "as_of"}}'::timestamp + interval 1 day)) / 86400.0, 2) as days_in_stage,
       o.current_stage, d.amount, c.region, c.consent,
       {{> retain_until contact="c" at="ch.entered_at"}} as retain_until
from changes ch
join {{ref "stg_deals"}} d using (deal_id)
join outcome o using (deal_id)
join {{ref "stg_contacts"}} c on c.contact_id = d.contact_id
