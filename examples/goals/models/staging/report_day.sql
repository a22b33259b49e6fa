-- The day the goals are reported as of: the var as_of, or by default the newest day in the KPI data (so a
-- scheduled build, which takes no --vars, reports on the newest data; with no data at all, today).
select coalesce(nullif('{{var "as_of" ""}}', '')::date, max(cast(metric_date as date)), current_date) as as_of
from {{source "metrics" "kpi_values"}}
