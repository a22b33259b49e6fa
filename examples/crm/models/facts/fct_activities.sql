{{config materialized="incremental" incremental_strategy="microbatch" event_time="started_at" batch_size="day" lookback=1 begin="2026-01-01"}}
-- One row per activity (call, email, meeting, demo, task), built a day at a time: a run re-processes the newest
-- day again (lookback 1), and `eider run -s fct_activities --event-time-start … --event-time-end …` backfills a window.
select a.activity_id, a.contact_id, a.deal_id, a.owner_id, a.activity_type, a.status,
       a.status = 'completed' as completed, a.started_at, a.started_at::date as activity_date, a.duration_min,
       c.region, c.consent,
       {{> retain_until contact="c" at="a.started_at"}} as retain_until
from {{ref "stg_activities"}} a
join {{ref "stg_contacts"}} c using (contact_id)
