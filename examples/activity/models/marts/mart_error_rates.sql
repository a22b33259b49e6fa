-- Error rates by activity type: over all kept rows and over the 7 days ending on as_of, and the commonest error code.
select activity_type,
       count(*) as events,
       count(*) filter (is_error) as errors,
       round(count(*) filter (is_error) / count(*), 4) as error_rate,
       count(*) filter (activity_date > '{{var "as_of"}}'::date - 7) as events_7d,
       count(*) filter (is_error and activity_date > '{{var "as_of"}}'::date - 7) as errors_7d,
       round(errors_7d / nullif(events_7d, 0), 4) as error_rate_7d,
       mode(error_code) as top_error_code
from {{ref "fct_activity"}}
group by activity_type
order by activity_type
