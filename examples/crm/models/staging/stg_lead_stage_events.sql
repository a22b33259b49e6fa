-- The funnel's stages in order: lead → mql → sql → opportunity → customer.
select lead_id, stage, entered_at::timestamp as entered_at,
       case stage when 'lead' then 1 when 'mql' then 2 when 'sql' then 3 when 'opportunity' then 4 when 'customer' then 5 end as stage_order
from {{source "crm" "lead_stage_events"}}
