-- Activity volume, completion rate and duration by type and by sales rep.
select a.activity_type, a.owner_id, u.user_name,
       count(*) as activities,
       count(*) filter (a.completed) as completed,
       round(count(*) filter (a.completed) / count(*), 4) as completion_rate,
       round(avg(a.duration_min), 1) as avg_duration_min,
       coalesce(sum(a.duration_min), 0)::bigint as total_duration_min
from {{ref "fct_activities"}} a
join {{source "raw" "users"}} u on u.user_id = a.owner_id
group by all
order by a.activity_type, a.owner_id
