-- Daily KPI values up to the report's day (var as_of; by default the newest day measured).
select business_unit, kpi, cast(metric_date as date) as metric_date, cast(value as double) as value
from {{source "metrics" "kpi_values"}}
where cast(metric_date as date) <= {{> as_of}}
