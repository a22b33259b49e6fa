-- One row per lead: how far down the funnel it went, when it became a customer and how long that took.
with reached as (
  select lead_id, max(stage_order) as furthest_stage_order, min(entered_at) filter (stage = 'customer') as converted_at
  from {{ref "stg_lead_stage_events"}}
  group by lead_id
)
select l.lead_id, l.contact_id, l.owner_id, l.source, l.created_at,
       r.furthest_stage_order,
       ['lead', 'mql', 'sql', 'opportunity', 'customer'][r.furthest_stage_order] as furthest_stage,
       r.converted_at is not null as converted, r.converted_at,
       round(date_diff('second', l.created_at, r.converted_at) / 86400.0, 2) as days_to_conversion,
       c.region, c.consent,
       {{> retain_until contact="c" at="l.created_at"}} as retain_until
from {{ref "stg_leads"}} l
join reached r using (lead_id)
join {{ref "stg_contacts"}} c using (contact_id)
