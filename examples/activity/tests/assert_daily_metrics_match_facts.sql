-- The daily metrics add up to the fact: every kept activity is counted on its day, once.
select (select sum(events) from {{ref "mart_daily_metrics"}}) as metric_events,
       (select count(*) from {{ref "fct_activity"}}) as fact_events
where metric_events is distinct from fact_events
