-- The daily metrics add up to the fact: each day of mart_daily_metrics counts every kept activity of that day, once.
-- (Day by day rather than in total: under `build --empty` the incremental fact keeps its rows while the mart is
-- rebuilt empty.)
select m.activity_date, m.events, count(f.event_id) as fact_events
from {{ref "mart_daily_metrics"}} m
left join {{ref "fct_activity"}} f using (activity_date)
group by m.activity_date, m.events
having m.events <> count(f.event_id)
