coalesce(nullif('{{var "as_of" ""}}', '')::date, (select max(cast(metric_date as date)) from {{source "metrics" "kpi_values"}}))
