-- Activity by day and type: events, distinct users, errors and the error rate.
select activity_date, activity_type, category,
       count(*) as events,
       count(distinct user_id) as users,
       count(*) filter (is_error) as errors,
       round(count(*) filter (is_error) / count(*), 4) as error_rate
from {{ref "fct_activity"}}
group by all
order by activity_date, activity_type
