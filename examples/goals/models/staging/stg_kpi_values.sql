-- Daily KPI values up to the report's day.
select v.business_unit, v.kpi, cast(v.metric_date as date) as metric_date, cast(v.value as double) as value
from {{source "metrics" "kpi_values"}} v
join {{ref "report_day"}} r on cast(v.metric_date as date) <= r.as_of
