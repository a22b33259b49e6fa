-- The flagged days: a KPI or KRI whose |z-score| is above the threshold, one row per day and metric.
{{config materialized="view"}}
select event_date, metric, kind, value, trailing_mean, trailing_sd, z_score,
  case when z_score > 0 then 'spike' else 'drop' end as direction
from {{ref "metric_zscores"}}
where is_anomaly
order by event_date, metric
