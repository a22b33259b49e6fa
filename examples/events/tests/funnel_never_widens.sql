-- A funnel step never holds more sessions than the step before it.
select step, stage, sessions, from_previous
from {{ref "user_funnel"}}
where from_previous > 1
