{{config materialized="incremental" unique_key="event_id"}}
-- One row per activity, kept until expires_on (its type's retention_days after it happened): project.yml's
-- retention deletes the rows past it after every build. New rows only on later builds.
select a.event_id, a.user_id, a.activity_type, t.category, a.occurred_at, a.activity_date,
       a.status, a.is_error, a.error_code, a.duration_ms, a.bytes,
       (a.activity_date + to_days(t.retention_days))::date as expires_on
from {{ref "stg_activity_log"}} a
join {{ref "activity_types"}} t using (activity_type)
{{#if is_incremental}}
where a.occurred_at > (select max(occurred_at) from {{this}})
{{/if}}
