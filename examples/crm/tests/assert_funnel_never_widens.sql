-- A stage never holds more leads than the stage before it.
select region, stage, leads, from_previous_stage
from {{ref "mart_lead_funnel"}}
where from_previous_stage > 1
