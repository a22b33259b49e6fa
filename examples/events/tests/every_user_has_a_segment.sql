-- The k-means model assigns every user with behaviour to exactly one segment.
select f.user_id
from {{ref "user_features"}} f
left join {{ref "user_segments"}} s using (user_id)
where s.segment is null
