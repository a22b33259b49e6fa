-- The cleanup worked: no activity is kept past its expires_on (with the one day's grace retention gives).
select event_id, activity_type, activity_date, expires_on
from {{ref "fct_activity"}}
where expires_on < current_date - 1
