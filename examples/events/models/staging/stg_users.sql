select user_id, signup_date, country, plan, acquisition_channel
from {{ref "raw_users"}}
